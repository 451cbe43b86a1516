"""The interfaces through which the state machine reaches the world (camera, lights, storage ...)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from kiosk.core.capture import SubjectInfo
from kiosk.vision.report import Message, Report


class CodeRejected(Exception):
    """A capture code that cannot start a session; carries the outcome id and the student message."""

    def __init__(self, outcome: str, message: Message) -> None:
        super().__init__(outcome)
        self.outcome = outcome
        self.message = message


class PhotoNotUsable(Exception):
    """The still passed the checks but no registration photo can be made from it (e.g. head placement)."""

    def __init__(self, check_id: str, message: Message) -> None:
        super().__init__(check_id)
        self.check_id = check_id
        self.message = message


class CodeDecoder(Protocol):
    def __call__(self, text: str) -> SubjectInfo:
        """Decode a scanned text; raise CodeRejected for anything that is not a valid code."""


class StillCamera(Protocol):
    def capture_still(self) -> np.ndarray: ...

    def capture_burst(self, count: int, gap_s: float) -> list[np.ndarray]: ...


class LightsPort(Protocol):
    def set_scene(self, name: str) -> None: ...

    def beep(self, seconds: float = 0.1) -> None: ...


class CheckerPort(Protocol):
    profile_name: str

    def check(self, image: np.ndarray) -> Report: ...


class PhotoFormatter(Protocol):
    def __call__(self, still: np.ndarray, report: Report) -> bytes:
        """The registration JPEG for an accepted still; PhotoNotUsable when none can be made."""


class Records(Protocol):
    """The booth's own log of sessions and captures (for staff statistics and the repeat check)."""

    def start_session(self, subject: SubjectInfo) -> int: ...

    def end_session(self, session_id: int, outcome: str) -> None: ...

    def record_capture(
        self, session_id: int, capture_id: str, attempt: int, report: Report, accepted: bool
    ) -> None: ...

    def mark_accepted(self, capture_id: str) -> None: ...

    def record_answers(self, capture_id: str, answered: Sequence[str]) -> None:
        """The asked checks the student has answered "does not apply" for this capture, so far."""

    def unsettled_captures(self) -> list[tuple[str, int]]: ...

    def settle_accepted(self, capture_id: str, session_id: int) -> None: ...

    def has_accepted_today(self, uid: str) -> bool: ...

    def record_event(self, kind: str, detail: dict[str, Any] | None = None) -> None: ...


class SpaceReserve(Protocol):
    def release(self) -> bool:
        """Free space held back for the booth's own saves; True when some was freed."""


class SheetPrinter(Protocol):
    def print_sheet(self, still: np.ndarray, crop: tuple[float, float, float, float]) -> str:
        """Queue the print sheet of ``still`` cut at ``crop``; returns the job id, raises on failure."""


class Readiness(Protocol):
    def __call__(self) -> Message | None:
        """None when a new session may start, else the reason to show (disk full, camera down)."""
