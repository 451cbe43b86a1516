"""Fakes for the booth's ports: hardware and the compliance check, the only things tests replace."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kiosk.booth.ports import CodeRejected
from kiosk.core.capture import AcceptedCapture, SubjectInfo
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


QUESTIONS = {
    "jewellery": Message(
        "如果您佩戴了耳环或项链，请摘下后重拍",
        "If you are wearing earrings or a necklace, please take them off and retake",
    ),
    "heavy_makeup": Message(
        "如果您化了浓妆，请卸妆后重拍", "If you are wearing heavy make-up, please remove it and retake"
    ),
    "sharpness": Message("照片可能有些模糊，可以重拍", "The photo may be a little blurred; you may retake it"),
}


@dataclass
class ScriptedChecker:
    """Returns the verdicts it was given, one per photo (the last repeats).

    ``asks`` gives, per photo (the last repeats), the checks that are unsure about a passing photo: they
    pass with ``ask=True`` and a question, as the profile's middle band makes them.
    """

    verdicts: list[bool] = field(default_factory=lambda: [True])
    asks: list[tuple[str, ...]] = field(default_factory=lambda: [()])
    profile_name: str = "chsi"
    calls: int = 0

    def check(self, image: np.ndarray) -> Report:
        n = self.calls
        ok = self.verdicts[min(n, len(self.verdicts) - 1)]
        asked = self.asks[min(n, len(self.asks) - 1)]
        self.calls += 1
        msg = Message("请摘下眼镜", "Please remove your glasses")
        checks = {"glasses": CheckResult("glasses", ok, 0.1 if ok else 0.9, msg)}
        for cid in asked:
            checks[cid] = CheckResult(cid, True, 0.5, QUESTIONS[cid], ask=True)
        order = ("glasses", "jewellery", "heavy_makeup", "sharpness")
        return Report(checks=checks, ms=5.0, order=order)


@dataclass
class ListSink:
    captures: list[AcceptedCapture] = field(default_factory=list)
    fail: int = 0

    def submit(self, capture: AcceptedCapture) -> None:
        if self.fail:
            self.fail -= 1
            raise OSError(28, "No space left on device")
        self.captures.append(capture)

    def holds(self, capture_id: str) -> bool:
        return any(c.capture_id == capture_id for c in self.captures)
