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

from kiosk.app.preview import FrameHub, PreviewPump
from kiosk.booth import Booth, CodeSeen, CodeSighted, Hints
from kiosk.core.frameworker import FrameWorker

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
    analyse_limit_s: float = 60.0
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

    def on_sighting(self, advice: str) -> None:
        """The scanner sees a code it cannot read; the idle state decides when to tell the student."""
        self.booth.post(CodeSighted(advice))

    def _loop(self) -> None:
        period = 1.0 / self.step_hz
        while not self._stop.is_set():
            try:
                self.booth.step()
            except Exception:  # one bad step must not stop the booth, but it is not progress either
                log.exception("booth step failed")
            else:
                self._last_step = time.monotonic()
            self._stop.wait(period)

    def last_step_age(self) -> float:
        """Seconds since the booth loop last completed a step without raising."""
        return time.monotonic() - self._last_step

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
        if self._thread is None or not self._thread.is_alive() or self.last_step_age() > 5:
            problems.append("booth loop not running")
        if not getattr(self.camera, "healthy", True):
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
