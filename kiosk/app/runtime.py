"""The running booth: the threads that connect the camera, the scanner and the state machine.

- the preview pump reads frames and hands them to the frame hub (live view) and, while the booth is
  idle, to the QR scan worker, which drops frames when it is busy;
- the booth loop steps the state machine twenty times a second;
- everything else (web requests, the GPIO button) only posts events.

``Runtime.assemble`` builds all of it once from the booth, its camera and its parts; nothing is added
afterwards but things to close.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from kiosk.app.preview import FrameHub, PreviewPump
from kiosk.booth import Booth, CodeSeen, CodeSighted, Hints
from kiosk.core.frameworker import FrameWorker
from kiosk.staff.running import BoothParts, CameraView

log = logging.getLogger(__name__)

LOOP_STALL_S = 5.0  # a loop with no completed step for this long is not running, as far as /readyz goes


class RuntimeCamera(CameraView, Protocol):
    """The supervised camera as the runtime uses it: preview frames, the detail stream, closing."""

    def preview_frame(self) -> np.ndarray: ...

    def detail_frame(self) -> np.ndarray | None: ...

    def close(self) -> None: ...


class Closer(Protocol):
    def close(self) -> None: ...


class Loop(Protocol):
    """What steps the booth: ``BoothLoop`` in the booth; a test may step the booth by hand instead."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def running(self) -> bool: ...

    def last_step_age(self) -> float: ...


class BoothLoop:
    """Steps the booth ``step_hz`` times a second on its own thread, and keeps its pulse for the watchdog."""

    def __init__(self, booth: Booth, step_hz: float = 20.0) -> None:
        self._booth = booth
        self._period = 1.0 / step_hz
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_step = time.monotonic()

    def start(self) -> None:
        self._last_step = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="booth", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._booth.step()
            except Exception:  # one bad step must not stop the booth, but it is not progress either
                log.exception("booth step failed")
            else:
                self._last_step = time.monotonic()
            self._stop.wait(self._period)

    def last_step_age(self) -> float:
        """Seconds since the loop last completed a step without raising."""
        return time.monotonic() - self._last_step

    def running(self) -> bool:
        """The thread is alive and completes steps."""
        alive = self._thread is not None and self._thread.is_alive()
        return alive and self.last_step_age() <= LOOP_STALL_S

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)


@dataclass(frozen=True)
class BoothEvents:
    """The scanner's and the hint worker's results, posted to the booth as events (from their threads)."""

    booth: Booth

    def on_code(self, text: str) -> None:
        self.booth.post(CodeSeen(text))

    def on_sighting(self, advice: str) -> None:
        """The scanner sees a code it cannot read; the idle state decides when to tell the student."""
        self.booth.post(CodeSighted(advice))

    def on_hints(self, messages: tuple[Any, ...]) -> None:
        self.booth.post(Hints(messages))


@dataclass(eq=False)
class Runtime:
    """The booth, its camera and parts, and the threads around them (satisfies ``kiosk.staff.running.RunningBooth``)."""

    booth: Booth
    camera: RuntimeCamera
    parts: BoothParts
    hub: FrameHub
    pump: PreviewPump
    scanner: FrameWorker  # a kiosk.codes.qr.QrScanWorker
    loop: Loop
    hinter: FrameWorker | None = None
    language: str = "zh"
    closers: list[Closer] = field(default_factory=list)
    hint_period_s: float = 0.15
    analyse_limit_s: float = 60.0
    _last_hint_offer: float = field(default=0.0, init=False)

    @classmethod
    def assemble(
        cls,
        booth: Booth,
        camera: RuntimeCamera,
        parts: BoothParts,
        *,
        preview_fps: float,
        hints: Any = None,
        language: str = "zh",
        loop: Loop | None = None,
        closers: list[Closer] | None = None,
    ) -> Runtime:
        """The runtime of ``booth``, not yet started. ``hints`` reads posing hints from a preview frame
        (``read(frame) -> [messages]``); ``loop`` defaults to a ``BoothLoop`` of the booth."""
        from kiosk.codes.qr import QrReader, QrScanWorker

        events = BoothEvents(booth)
        hub = FrameHub()
        scanner = QrScanWorker(QrReader(), events.on_code, on_sighting=events.on_sighting, detail=camera.detail_frame)
        return cls(
            booth=booth,
            camera=camera,
            parts=parts,
            hub=hub,
            pump=PreviewPump(camera.preview_frame, hub, preview_fps),
            scanner=scanner,
            loop=loop if loop is not None else BoothLoop(booth),
            hinter=None if hints is None else FrameWorker(hints, events.on_hints, name="pose-hints"),
            language=language,
            closers=list(closers or []),
        )

    def start(self) -> None:
        self.pump.add_consumer(self._scan_when_idle)
        self.scanner.start()
        if self.hinter is not None:
            self.pump.add_consumer(self._hint_when_posing)
            self.hinter.start()
        self.pump.start()
        self.loop.start()

    def _scan_when_idle(self, frame: Any) -> None:
        if self.booth.state.name == "idle":
            self.scanner.offer(frame)

    def _hint_when_posing(self, frame: Any) -> None:
        now = time.monotonic()
        due = now - self._last_hint_offer >= self.hint_period_s
        if due and self.booth.state.name == "pose" and self.hinter is not None and self.hinter.offer(frame):
            self._last_hint_offer = now

    def last_step_age(self) -> float:
        """Seconds since the booth loop last completed a step without raising."""
        return self.loop.last_step_age()

    def alive(self, max_step_age_s: float = 10.0) -> bool:
        """The watchdog's sign of life: the loop completes steps, and no check runs past its time limit.

        A step that raised is not progress (a save failing on every step would otherwise feed the
        watchdog forever), and a booth that has been analysing one photo longer than
        ``analyse_limit_s`` is stuck whatever its loop says; systemd then restarts it.
        """
        if self.last_step_age() >= max_step_age_s:
            return False
        booth = self.booth
        return not (booth.state.name == "analyse" and booth.elapsed() > self.analyse_limit_s)

    def readiness_problems(self) -> list[str]:
        """Why the booth cannot take a student right now (empty when it can)."""
        problems = []
        if not self.loop.running():
            problems.append("booth loop not running")
        if not self.camera.healthy:
            problems.append("camera not delivering frames")
        if self.booth.pause_reason:
            problems.append(f"paused itself: {self.booth.pause_reason}; staff must look, then resume")
        elif self.booth.paused:
            problems.append("paused by staff")
        try:
            reason = self.booth.readiness()
        except Exception as exc:  # /readyz must say why, never fail with a 500
            log.exception("readiness check failed")
            problems.append(f"readiness check failed: {type(exc).__name__}: {exc}"[:200])
            return problems
        if reason is not None and reason.en not in " ".join(problems):
            problems.append(reason.en)
        return problems

    def stop(self) -> None:
        self.loop.stop()
        self.pump.stop()
        closers: list[Closer | None] = [self.scanner, self.hinter, self.camera, *self.closers]
        for closer in closers:
            if closer is None:
                continue
            try:
                closer.close()
            except Exception:
                log.exception("closing %s failed", type(closer).__name__)
