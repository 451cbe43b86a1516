"""The running booth: the threads that connect the camera, the scanner and the state machine.

- the preview pump reads frames and hands them to the frame hub (live view) and, while the booth is
  idle, to the QR scan worker, which drops frames when it is busy;
- the booth thread steps the state machine twenty times a second;
- everything else (web requests, the GPIO button) only posts events.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from kiosk.booth import Booth, CodeSeen, Hints
from kiosk.preview import FrameHub, FrameWorker, PreviewPump

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    booth: Booth
    hub: FrameHub
    pump: PreviewPump
    scanner: Any  # QrScanWorker
    camera: Any  # SupervisedCamera
    closers: list[Any] = field(default_factory=list)
    step_hz: float = 20.0
    hinter: FrameWorker | None = None
    hint_period_s: float = 0.15
    language: str = "zh"
    extras: dict[str, Any] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _last_step: float = field(default_factory=time.monotonic)
    _last_hint_offer: float = 0.0

    def start(self) -> None:
        self._last_step = time.monotonic()
        self.pump.add_consumer(self._scan_when_idle)
        self.scanner.start()
        if self.hinter is not None:
            self.pump.add_consumer(self._hint_when_posing)
            self.hinter.start()
        self.pump.start()
        self._thread = threading.Thread(target=self._loop, name="booth", daemon=True)
        self._thread.start()

    def _scan_when_idle(self, frame: Any) -> None:
        if self.booth.state.name == "idle":
            self.scanner.offer(frame)

    def _hint_when_posing(self, frame: Any) -> None:
        now = time.monotonic()
        due = now - self._last_hint_offer >= self.hint_period_s
        if due and self.booth.state.name == "pose" and self.hinter is not None and self.hinter.offer(frame):
            self._last_hint_offer = now

    def on_hints(self, messages: tuple[Any, ...]) -> None:
        self.booth.post(Hints(messages))

    def on_code(self, text: str) -> None:
        self.booth.post(CodeSeen(text))

    def _loop(self) -> None:
        period = 1.0 / self.step_hz
        while not self._stop.is_set():
            try:
                self.booth.step()
            except Exception:  # one bad step must not stop the booth
                log.exception("booth step failed")
            self._last_step = time.monotonic()
            self._stop.wait(period)

    def last_step_age(self) -> float:
        """Seconds since the booth loop last completed a step: the watchdog's sign of life."""
        return time.monotonic() - self._last_step

    def readiness_problems(self) -> list[str]:
        """Why the booth cannot take a student right now (empty when it can)."""
        problems = []
        if self._thread is None or not self._thread.is_alive() or self.last_step_age() > 5:
            problems.append("booth loop not running")
        if not getattr(self.camera, "healthy", True):
            problems.append("camera not delivering frames")
        if self.booth.paused:
            problems.append("paused by staff")
        reason = self.booth.readiness()
        if reason is not None and reason.en not in " ".join(problems):
            problems.append(reason.en)
        return problems

    def stop(self) -> None:
        self._stop.set()
        self.pump.stop()
        if self._thread:
            self._thread.join(timeout=5)
        for closer in [self.scanner, self.hinter, self.camera, *self.closers]:
            if closer is None:
                continue
            try:
                closer.close()
            except Exception:
                log.exception("closing %s failed", type(closer).__name__)
