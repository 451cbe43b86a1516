"""The review screen's data: where the problem is on the picture, which reasons need staff, and what
the next student inherits (nothing)."""

from __future__ import annotations

import cv2
import numpy as np

from kiosk.booth import CodeSeen, Hints, Touch, review
from kiosk.core.config import BoothSection
from kiosk.vision.checks import ORDER
from kiosk.vision.messages import MESSAGES
from kiosk.vision.report import CheckResult, FaceGeometry, Message, Report
from tests.helpers.booth_rig import Rig

SIZE = (1600, 1200)
FACE = (700.0, 400.0, 200.0, 260.0)


def failing(*checks: tuple[str, str, dict | None, tuple | None]) -> Report:
    results = {
        cid: CheckResult(cid, False, 0.9, MESSAGES[cid][reason], value=value, region=region)
        for cid, reason, value, region in checks
    }
    return Report(results, 5.0, FaceGeometry(box=FACE), ORDER)


class ReportChecker:
    def __init__(self, *reports: Report) -> None:
        self.reports = list(reports)
        self.profile_name = "chsi"
        self.calls = 0

    def check(self, image: np.ndarray) -> Report:
        report = self.reports[min(self.calls, len(self.reports) - 1)]
        self.calls += 1
        return report


class StillCamera:
    def capture_still(self) -> np.ndarray:
        return np.full((SIZE[1], SIZE[0], 3), 120, np.uint8)

    def capture_burst(self, count: int, gap_s: float) -> list[np.ndarray]:
        return [self.capture_still() for _ in range(count)]


def rig_with(tmp_path, *reports: Report, max_attempts: int = 3) -> Rig:
    rig = Rig(tmp_path, booth=BoothSection(max_attempts=max_attempts))
    rig.booth.checker = ReportChecker(*reports)
    rig.booth.camera = StillCamera()
    return rig


def test_a_blue_top_sends_the_student_to_staff_and_offers_no_retake(tmp_path):
    rig = rig_with(tmp_path, failing(("clothing_not_blue", "blue", None, (600.0, 700.0, 400.0, 300.0))))
    rig.to_review()
    verdict = rig.booth.snapshot()["verdict"]
    assert verdict["staff"] is True and verdict["can_retake"] is False
    assert verdict["reasons"][0]["staff"] is True
    rig.send(Touch("retake"))
    assert rig.state == "review"  # a retake in the same top would fail the same way
    assert rig.records.event_counts().get("staff_needed") == 1


def test_a_posing_fault_keeps_the_retake_until_the_last_attempt(tmp_path):
    rig = rig_with(tmp_path, failing(("eyes_open", "closed", None, None)), max_attempts=2)
    rig.to_review()
    verdict = rig.booth.snapshot()["verdict"]
    assert verdict["staff"] is False and verdict["can_retake"] is True and verdict["last_attempt"] is False
    rig.send(Touch("retake"))
    rig.send(Touch("start"))
    rig.wait(3.0)
    rig.booth.step()
    rig.booth.step()
    snap = rig.booth.snapshot()
    assert snap["verdict"]["last_attempt"] is True and snap["verdict"]["can_retake"] is False
    assert snap["notice"] is None  # the heading says it; no notice runs into it


def test_the_next_student_starts_clean(tmp_path):
    rig = rig_with(tmp_path, failing(("eyes_open", "closed", None, None)))
    rig.to_review()
    first = rig.booth.snapshot()["session"]
    rig.wait(46)  # walks away: timed out back to the start, with a notice
    assert rig.state == "idle" and "Timed out" in rig.booth.snapshot()["notice"]["en"]
    assert rig.booth.snapshot()["session"] is None
    rig.send(CodeSeen("GOOD:2024002"))
    snap = rig.booth.snapshot()
    assert snap["state"] == "confirm" and snap["notice"] is None
    assert snap["session"] not in (None, first)


def test_the_guide_turns_green_only_while_the_head_is_placed(tmp_path):
    rig = rig_with(tmp_path, failing(("eyes_open", "closed", None, None)))
    rig.send(CodeSeen("GOOD:1"))
    rig.send(Touch("confirm"))
    assert rig.booth.snapshot()["placed"] is False
    rig.send(Hints(()))
    assert rig.booth.snapshot()["placed"] is True
    rig.send(Hints((Message("请靠近一点", "Please come a little closer."),)))
    assert rig.booth.snapshot()["placed"] is False


def test_marks_number_the_reasons_and_sit_inside_the_picture(tmp_path):
    lens = (740.0, 470.0, 130.0, 50.0)
    report = failing(
        ("head_pose", "yaw", {"yaw": 14.0, "pitch": 1.0, "roll": 0.5}, FACE),
        ("glasses", "glare", None, lens),
        ("jewellery", "worn", None, (630.0, 500.0, 340.0, 260.0)),
    )
    rig = rig_with(tmp_path, report)
    rig.to_review()
    snap = rig.booth.snapshot()
    marks = snap["verdict"]["marks"]
    assert [m["n"] for m in marks] == [1, 2, 3]
    assert marks[0]["kind"] == "arrow" and marks[0]["dir"] == "left"  # turned to the right: turn back
    assert [m["kind"] for m in marks[1:]] == ["box", "box"]
    for m in marks:
        x, y, w, h = m["box"]
        assert x >= 0 and y >= 0 and x + w <= 1.0001 and y + h <= 1.0001
    # The picture is a 3:4 window around the face that holds every outlined region.
    pic = cv2.imdecode(np.frombuffer(rig.booth.photo_jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert abs(pic.shape[1] / pic.shape[0] - 0.75) < 0.01
    vx, vy, vw, vh = rig.booth.ctx.review_view
    lx, ly, lw, lh = lens
    assert vx <= lx and lx + lw <= vx + vw and vy <= ly and ly + lh <= vy + vh
    assert abs(marks[1]["box"][0] - (lx - vx) / vw) < 1e-3


def test_a_placement_fault_shows_the_guide_over_the_middle_of_the_frame():
    report = failing(("head_geometry", "too_far", None, FACE))
    x, y, w, h = review.window(report, SIZE)
    assert (y, h) == (0.0, SIZE[1]) and abs(w / h - 0.75) < 1e-6 and abs(x + w / 2 - SIZE[0] / 2) < 1
    assert review.marks(report, (x, y, w, h)) == [{"n": 1, "kind": "guide"}]


def test_head_pose_arrows_point_the_way_back():
    def arrow(reason: str, angle: float) -> str:
        value = {"yaw": 0.0, "pitch": 0.0, "roll": 0.0, reason: angle}
        report = failing(("head_pose", reason, value, FACE))
        return review.marks(report, (0.0, 0.0, *SIZE))[0]["dir"]

    assert (arrow("yaw", 12), arrow("yaw", -12)) == ("left", "right")
    assert (arrow("pitch", 10), arrow("pitch", -10)) == ("down", "up")
    assert (arrow("roll", 8), arrow("roll", -8)) == ("anticlockwise", "clockwise")


def test_glasses_under_a_no_glasses_profile_get_one_retake_then_staff(tmp_path):
    glasses = failing(("glasses", "remove", None, (740.0, 470.0, 130.0, 50.0)))
    rig = rig_with(tmp_path, glasses, glasses)
    rig.to_review()
    verdict = rig.booth.snapshot()["verdict"]
    # Taking them off fixes it: a retake is offered, with staff named for a student who cannot.
    assert verdict["can_retake"] is True and verdict["staff"] is False and verdict["staff_advised"] is True
    rig.send(Touch("retake"))
    rig.send(Touch("start"))
    rig.wait(3.0)
    rig.booth.step()
    rig.booth.step()
    verdict = rig.booth.snapshot()["verdict"]
    # The same reason again: another retake would fail the same way, so staff it is.
    assert verdict["staff"] is True and verdict["can_retake"] is False and verdict["reasons"][0]["staff"] is True
    assert rig.records.event_counts().get("staff_needed") == 1


def test_a_new_student_does_not_inherit_the_last_ones_failures(tmp_path):
    glasses = failing(("glasses", "remove", None, None))
    rig = rig_with(tmp_path, glasses)
    rig.to_review()
    rig.send(Touch("retake"))
    rig.send(Touch("cancel"))
    rig.to_review("GOOD:2024002")
    assert rig.booth.snapshot()["verdict"]["can_retake"] is True
