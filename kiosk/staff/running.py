"""What the staff console reads and drives of the running booth, typed, so it never probes for a part.

The running booth (``kiosk.app.runtime.Runtime``) sits above the console in the package layers, so the
console cannot import it; it states here what it needs instead, and the app's runtime satisfies that.
Every part a booth always has is required; the one a booth may lack (the printer) is None when absent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

    from kiosk.booth import Booth
    from kiosk.hw.supervisor import CameraStatus
    from kiosk.output.printing import PrinterState
    from kiosk.queue.outbox import Outbox


class LightsView(Protocol):
    """The booth's lights (``kiosk.hw.lights.Lights``): the scene they show and the levels on their pins."""

    @property
    def scene(self) -> str | None: ...

    def set_scene(self, name: str) -> None: ...

    def levels(self) -> dict[str, float]: ...


class ButtonView(Protocol):
    """The big button (``kiosk.hw.button.BoothButton``), read for the health page."""

    @property
    def is_pressed(self) -> bool: ...


class PrinterView(Protocol):
    """The sheet printer (``kiosk.output.printing.CupsSheetPrinter``), as far as staff watch it."""

    def state(self) -> PrinterState: ...


class CameraView(Protocol):
    """The supervised camera (``kiosk.hw.supervisor.SupervisedCamera``): its status and a still for calibration."""

    @property
    def healthy(self) -> bool: ...

    def status(self) -> CameraStatus: ...

    def capture_still(self) -> np.ndarray: ...


@dataclass(frozen=True)
class BoothParts:
    """The devices around the booth's state machine that staff look at or use."""

    lights: LightsView
    button: ButtonView
    outbox: Outbox
    printer: PrinterView | None = None  # only when printing.printer is configured


class RunningBooth(Protocol):
    """The running booth, as the staff console sees it."""

    @property
    def booth(self) -> Booth: ...

    @property
    def camera(self) -> CameraView: ...

    @property
    def parts(self) -> BoothParts: ...

    def readiness_problems(self) -> list[str]: ...

    def last_step_age(self) -> float: ...
