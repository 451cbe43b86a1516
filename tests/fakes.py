"""Fakes for the booth's ports: hardware and the compliance check, the only things tests replace."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kiosk.booth.ports import CodeRejected
from kiosk.capture import AcceptedCapture, SubjectInfo
from kiosk.vision.report import CheckResult, Message, Report

ZHANG = SubjectInfo(uid="2024001", name="张**", idn="*****8746", school="示范大学", level="本科")


def decode(text: str) -> SubjectInfo:
    if text.startswith("GOOD:"):
        uid = text.removeprefix("GOOD:")
        return SubjectInfo(uid=uid, name="张**", idn="*****8746", school="示范大学", level="本科")
    raise CodeRejected("tampered", Message("采集码无效", "This code is not valid"))


@dataclass
class FakeLights:
    scenes: list[str] = field(default_factory=list)
    beeps: int = 0

    def set_scene(self, name: str) -> None:
        self.scenes.append(name)

    def beep(self, seconds: float = 0.1) -> None:
        self.beeps += 1


@dataclass
class FakeCamera:
    fail: int = 0
    shots: int = 0

    def capture_still(self) -> np.ndarray:
        if self.fail:
            self.fail -= 1
            raise RuntimeError("camera stopped")
        self.shots += 1
        return np.full((60, 40, 3), 128, np.uint8)


@dataclass
class ScriptedChecker:
    """Returns the verdicts it was given, one per photo (the last repeats)."""

    verdicts: list[bool] = field(default_factory=lambda: [True])
    profile_name: str = "chsi"
    calls: int = 0

    def check(self, image: np.ndarray) -> Report:
        ok = self.verdicts[min(self.calls, len(self.verdicts) - 1)]
        self.calls += 1
        msg = Message("请摘下眼镜", "Please remove your glasses")
        return Report(checks={"glasses": CheckResult("glasses", ok, 0.1 if ok else 0.9, msg)}, ms=5.0)


@dataclass
class ListSink:
    captures: list[AcceptedCapture] = field(default_factory=list)
    fail: int = 0

    def submit(self, capture: AcceptedCapture) -> None:
        if self.fail:
            self.fail -= 1
            raise OSError(28, "No space left on device")
        self.captures.append(capture)
