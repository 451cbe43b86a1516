"""A student page on a real HTTP server, in front of a real booth whose hardware and checker are scripted,
so a browser test can put the booth in any state (the longest messages, the last attempt) on cue."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from werkzeug.serving import make_server

from kiosk.booth import BoothSettings, ButtonPressed, CodeSeen, StaffCommand, Touch
from kiosk.booth.events import Event
from kiosk.vision.report import Report
from kiosk.web import create_app
from tests.helpers.fakes import make_booth_rig


def portrait_still(size: tuple[int, int] = (1014, 760)) -> np.ndarray:
    """A drawn head and shoulders on the booth blue (no photo needed): enough for a review picture."""
    w, h = size
    img = np.full((h, w, 3), (255, 197, 100), np.uint8)
    cx = w // 2
    cv2.ellipse(img, (cx, int(h * 0.95)), (int(w * 0.3), int(h * 0.3)), 0, 180, 360, (70, 70, 70), -1)
    cv2.ellipse(img, (cx, int(h * 0.42)), (int(h * 0.13), int(h * 0.18)), 0, 0, 360, (150, 180, 220), -1)
    return img


def saved_photo(still: np.ndarray) -> bytes:
    """A 480x640 JPEG cut from the middle of the still, standing in for the registration photo."""
    h, w = still.shape[:2]
    cw = min(w, round(h * 0.75))
    x0 = (w - cw) // 2
    part = cv2.resize(still[:, x0 : x0 + cw], (480, 640), interpolation=cv2.INTER_AREA)
    return cv2.imencode(".jpg", part)[1].tobytes()


@dataclass
class ScriptedReports:
    """The checker: hands out the reports it was given, one per photo (the last repeats)."""

    reports: list[Report] = field(default_factory=list)
    profile_name: str = "chsi"
    calls: int = 0

    def check(self, image: np.ndarray) -> Report:
        report = self.reports[min(self.calls, len(self.reports) - 1)]
        self.calls += 1
        return report


class StudentRig:
    """``send`` posts an event and steps the booth once, as the booth thread would."""

    def __init__(self, tmp_path: Path, checker: ScriptedReports, still: np.ndarray, max_attempts: int = 3) -> None:
        from kiosk.core.config import BoothSection

        self.checker = checker
        settings = BoothSettings(kiosk_id="t", booth=BoothSection(max_attempts=max_attempts, countdown_s=1))
        self.rig = make_booth_rig(
            tmp_path, checker=checker, still=still, settings=settings, formatter=lambda shot, report: saved_photo(shot)
        )
        self.clock = self.rig.clock
        self.booth = self.rig.booth
        self.runtime = self.rig.runtime
        self.still = still
        self.url = ""
        self._uid = 0

    def send(self, event: Event) -> None:
        self.booth.post(event)
        self.booth.step()

    def code(self) -> None:
        self._uid += 1
        self.clock.advance(30)
        self.send(CodeSeen(f"GOOD:{self._uid}"))

    def touch(self, action: str) -> None:
        self.send(Touch(action))

    def shoot(self) -> None:
        """From pose: the countdown, the still and the check, as the booth thread runs them."""
        self.send(ButtonPressed())
        for _ in range(3):
            self.clock.advance(1.0)
            self.booth.step()

    def pause(self, on: bool = True) -> None:
        self.send(StaffCommand("pause" if on else "resume"))

    @contextmanager
    def served(self) -> Iterator[str]:
        app = create_app(self.runtime, max_streams=2)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        stop = threading.Event()

        def pump() -> None:  # the live view: the camera's frames, a few a second
            while not stop.wait(0.2):
                self.runtime.hub.publish(self.still)

        pumping = threading.Thread(target=pump, daemon=True)
        pumping.start()
        self.url = f"http://127.0.0.1:{server.server_port}/"
        try:
            yield self.url
        finally:
            stop.set()
            server.shutdown()
            thread.join(5)
            pumping.join(5)
