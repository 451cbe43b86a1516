"""The shutter's burst: a still spoilt by a moment (here a move during the exposure) is replaced by the
next still of the burst, so the student passes on the first try; a lasting fault (a blue top) is judged
once and stands. Real compliance check on booth stills made from the shared face photos."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.booth import burst
from kiosk.booth.events import Touch
from kiosk.core.config import BoothSection
from kiosk.demo.scene import booth_scene
from kiosk.hw.replay import ReplayCamera
from kiosk.vision.checker import ComplianceChecker
from kiosk.vision.report import CheckResult, Message, Report
from tests.helpers.booth_rig import Rig
from tests.helpers.paths import FACES
from tests.helpers.scenes import COMPLIANT_BUT_BLUE_TOP, compliant_still


@pytest.fixture(scope="module")
def checker() -> ComplianceChecker:
    return ComplianceChecker("chsi")


@pytest.fixture(scope="module")
def sharp(checker: ComplianceChecker) -> np.ndarray:
    if not (FACES / COMPLIANT_BUT_BLUE_TOP).is_file():
        pytest.skip(f"shared face photos not found at {FACES}")
    return compliant_still(checker.analyser, FACES)


def moved(still: np.ndarray, px: int = 25) -> np.ndarray:
    """The still as it comes out when the student sways sideways during the exposure."""
    kernel = np.zeros((px, px), np.float32)
    kernel[px // 2, :] = 1.0 / px
    return cv2.filter2D(still, -1, kernel)


class Counting:
    def __init__(self, checker: ComplianceChecker) -> None:
        self.checker, self.judged = checker, []

    def __call__(self, image: np.ndarray):
        self.judged.append(image)
        return self.checker.check(image)


def test_a_moved_still_is_replaced_by_the_next_one(checker: ComplianceChecker, sharp: np.ndarray) -> None:
    blurred = moved(sharp)
    assert [c.id for c in checker.check(blurred).failures()] == ["sharpness"]
    check = Counting(checker)
    chosen = burst.pick([blurred, sharp, sharp.copy()], check)
    assert chosen.index == 1 and chosen.report.passed
    assert chosen.still is not blurred
    assert chosen.first_failures == ("sharpness",)
    assert len(check.judged) == 2  # the third still is never judged


def test_a_lasting_fault_is_judged_once_and_stands(checker: ComplianceChecker, faces_dir: Path,
                                                   sharp: np.ndarray) -> None:  # fmt: skip
    blue_top = booth_scene(checker.analyser, cv2.imread(str(faces_dir / COMPLIANT_BUT_BLUE_TOP)), (2028, 1520),
                           face_px=330)  # fmt: skip
    check = Counting(checker)
    chosen = burst.pick([blue_top, sharp], check)
    assert chosen.index == 0 and not chosen.report.passed
    assert "clothing_not_blue" in [c.id for c in chosen.report.failures()]
    assert len(check.judged) == 1  # a second still would only re-roll the clothing check


def test_identical_stills_are_judged_once(checker: ComplianceChecker, sharp: np.ndarray) -> None:
    blurred = moved(sharp)
    check = Counting(checker)
    chosen = burst.pick([blurred, blurred.copy(), blurred.copy()], check)
    assert chosen.index == 0 and not chosen.report.passed
    assert len(check.judged) == 1


def test_student_who_moved_at_the_shutter_passes_first_time(tmp_path: Path, checker: ComplianceChecker,
                                                            sharp: np.ndarray) -> None:  # fmt: skip
    rig = Rig(tmp_path, booth=BoothSection(burst_count=3, burst_gap_s=0.25))
    camera = ReplayCamera(preview_size=(640, 480), item_s=0.2, clock=rig.clock, sleep=rig.clock.advance)
    camera.show([moved(sharp), sharp])
    camera.start()
    kept: list[np.ndarray] = []
    rig.booth.camera = camera
    rig.booth.checker = checker
    rig.booth.formatter = lambda still, report: kept.append(still) or b"\xff\xd8jpeg"
    rig.to_review()
    verdict = rig.booth.snapshot()["verdict"]
    assert verdict["pass"] is True, verdict["reasons"]
    assert rig.booth.ctx.attempt == 1
    rig.send(Touch("accept"))
    assert rig.state == "done"
    assert len(rig.sink.captures) == 1
    assert len(kept) == 1 and np.array_equal(kept[0], sharp)  # the photo is the sharp still
    assert rig.records.event_counts().get("burst_kept") == 1


def test_a_single_still_booth_keeps_the_moved_one(tmp_path: Path, checker: ComplianceChecker,
                                                  sharp: np.ndarray) -> None:  # fmt: skip
    rig = Rig(tmp_path, booth=BoothSection(burst_count=1))
    camera = ReplayCamera(preview_size=(640, 480), item_s=0.2, clock=rig.clock, sleep=rig.clock.advance)
    camera.show([moved(sharp), sharp])
    camera.start()
    rig.booth.camera = camera
    rig.booth.checker = checker
    rig.to_review()
    verdict = rig.booth.snapshot()["verdict"]
    assert verdict["pass"] is False and [r["id"] for r in verdict["reasons"]] == ["sharpness"]
    assert "burst_kept" not in rig.records.event_counts()


def verdict(*, closed: bool = False, ask_jewellery: bool = False) -> Report:
    """A verdict as the checker gives it: eyes shut or open, the earring question asked or not."""
    say = Message("…", "…")
    checks = {
        "eyes_open": CheckResult("eyes_open", not closed, 1.0 if closed else 0.0, say),
        "jewellery": CheckResult("jewellery", True, 0.5 if ask_jewellery else 0.0, say, ask=ask_jewellery),
    }
    return Report(checks=checks, ms=1.0)


def test_a_later_still_cannot_drop_a_question_the_first_one_asked() -> None:
    stills = [np.full((4, 4, 3), i, np.uint8) for i in range(3)]
    verdicts = [
        verdict(closed=True, ask_jewellery=True),  # a blink, and unsure about earrings
        verdict(),  # open eyes, and this time the classifier says no earrings
        verdict(ask_jewellery=True),  # open eyes, the same question
    ]
    chosen = burst.pick(stills, lambda still: verdicts[int(still[0, 0, 0])])
    assert chosen.index == 2 and [c.id for c in chosen.report.asked()] == ["jewellery"]
    # without a still that asks it again, the first still and its verdict stand
    chosen = burst.pick(stills[:2], lambda still: verdicts[int(still[0, 0, 0])])
    assert chosen.index == 0 and not chosen.report.passed
