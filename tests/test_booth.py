"""The booth's state machine, driven with a fake clock through every path a student can take."""

from __future__ import annotations

import pytest

from kiosk.booth import ButtonPressed, CodeSeen, CodeSighted, StaffCommand, Touch
from kiosk.core.config import BoothSection
from kiosk.vision.report import Message
from tests.helpers.booth_rig import Rig


def test_happy_path_stores_the_accepted_photo(tmp_path):
    rig = Rig(tmp_path)
    assert rig.state == "idle"
    rig.send(CodeSeen("GOOD:2024001"))
    snap = rig.booth.snapshot()
    assert snap["state"] == "confirm"
    assert snap["subject"] == {"name": "张**", "idn": "*****8746", "school": "示范大学", "level": "本科"}
    rig.send(Touch("confirm"))
    rig.send(Touch("start"))
    countdowns = []
    for _ in range(12):
        rig.clock.advance(0.25)
        rig.booth.step()
        if rig.booth.snapshot()["countdown"] is not None:
            countdowns.append(rig.booth.snapshot()["countdown"])
    assert countdowns[0] == 3 and 1 in countdowns
    assert rig.lights.beeps == 3
    rig.booth.step()
    rig.booth.step()
    assert rig.state == "review"
    snap = rig.booth.snapshot()
    assert snap["verdict"]["pass"] is True
    assert snap["photo"].endswith(".jpg")
    rig.send(Touch("accept"))
    assert rig.state == "done"
    assert len(rig.sink.captures) == 1
    cap = rig.sink.captures[0]
    assert cap.subject.uid == "2024001" and cap.attempt == 1 and cap.photo_jpeg.startswith(b"\xff\xd8")
    assert rig.records.accepted_captures()[0]["id"] == cap.capture_id
    rig.wait(7)
    assert rig.state == "idle"
    assert rig.booth.snapshot()["subject"] is None


def test_lights_follow_the_states(tmp_path):
    rig = Rig(tmp_path)
    rig.to_review()
    rig.send(Touch("accept"))
    assert rig.lights.scenes == [
        "idle",
        "confirm",
        "pose",
        "countdown",
        "capture",
        "analyse",
        "review",
        "done",
    ]


def test_failed_photo_shows_reasons_and_retakes_are_limited(tmp_path):
    rig = Rig(tmp_path, verdicts=[False], booth=BoothSection(max_attempts=2))
    rig.to_review()
    verdict = rig.booth.snapshot()["verdict"]
    assert verdict["pass"] is False
    reason = {"id": "glasses", "zh": "请摘下眼镜", "en": "Please remove your glasses", "staff": False}
    assert verdict["reasons"] == [reason]
    assert verdict["can_retake"] is True
    rig.send(Touch("accept"))  # a failing photo cannot be accepted
    assert rig.state == "review" and rig.sink.captures == []
    rig.send(Touch("retake"))
    assert rig.state == "pose"
    rig.send(ButtonPressed())
    rig.wait(3.0)
    rig.booth.step()
    rig.booth.step()
    assert rig.state == "review"
    assert rig.booth.snapshot()["verdict"]["can_retake"] is False
    rig.send(Touch("retake"))
    assert rig.state == "review"
    assert "No more retakes" in rig.booth.snapshot()["notice"]["en"]


def test_retake_then_pass(tmp_path):
    rig = Rig(tmp_path, verdicts=[False, True])
    rig.to_review()
    rig.send(Touch("retake"))
    rig.send(Touch("start"))
    rig.wait(3.0)
    rig.booth.step()
    rig.booth.step()
    rig.send(ButtonPressed())  # the big button accepts a passing photo
    assert rig.state == "done"
    assert rig.sink.captures[0].attempt == 2


@pytest.mark.parametrize(
    ("state_path", "timeout"),
    [(["confirm"], 30), (["confirm", "pose"], 60)],
)
def test_every_state_times_out_to_idle(tmp_path, state_path, timeout):
    rig = Rig(tmp_path)
    rig.send(CodeSeen("GOOD:1"))
    if "pose" in state_path:
        rig.send(Touch("confirm"))
    rig.wait(timeout - 1)
    assert rig.state == state_path[-1]
    rig.wait(1.5)
    assert rig.state == "idle"
    assert "Timed out" in rig.booth.snapshot()["notice"]["en"]


def test_review_timeout_keeps_a_passing_photo(tmp_path):
    rig = Rig(tmp_path)
    rig.to_review()
    rig.wait(46)
    assert len(rig.sink.captures) == 1
    assert rig.state in ("done", "idle")


def test_review_timeout_drops_a_failing_photo(tmp_path):
    rig = Rig(tmp_path, verdicts=[False])
    rig.to_review()
    rig.wait(46)
    assert rig.state == "idle" and rig.sink.captures == []


def test_save_failure_keeps_photo_on_screen_and_can_retry(tmp_path):
    rig = Rig(tmp_path)
    rig.sink.fail = 1
    rig.to_review()
    rig.send(Touch("accept"))
    assert rig.state == "review"
    assert "could not be saved" in rig.booth.snapshot()["notice"]["en"]
    assert rig.booth.photo_jpeg is not None
    rig.send(Touch("accept"))
    assert rig.state == "done" and len(rig.sink.captures) == 1


def test_camera_failure_returns_to_pose_with_a_message(tmp_path):
    rig = Rig(tmp_path)
    rig.camera.fail = 1
    rig.send(CodeSeen("GOOD:1"))
    rig.send(Touch("confirm"))
    rig.send(Touch("start"))
    rig.wait(3.0)
    rig.booth.step()
    assert rig.state == "pose"
    assert "camera" in rig.booth.snapshot()["notice"]["en"]
    assert rig.booth.snapshot()["attempt"] == 0


def test_same_code_over_many_frames_starts_one_session(tmp_path):
    rig = Rig(tmp_path)
    for _ in range(10):
        rig.booth.post(CodeSeen("GOOD:7"))
    rig.booth.step()
    assert rig.state == "confirm"
    rig.send(Touch("cancel"))
    assert rig.state == "idle"
    rig.send(CodeSeen("GOOD:7"))  # still in front of the camera right after cancelling
    assert rig.state == "idle"
    rig.wait(9)
    rig.send(CodeSeen("GOOD:7"))
    assert rig.state == "confirm"
    sessions = rig.records._conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
    assert sessions == 2


def test_bad_code_shows_message_for_a_few_seconds_and_is_counted(tmp_path):
    rig = Rig(tmp_path)
    rig.send(CodeSeen("forged"))
    assert rig.state == "idle"
    assert rig.booth.snapshot()["notice"] == {"zh": "采集码无效", "en": "This code is not valid"}
    rig.wait(4.5)
    assert rig.booth.snapshot()["notice"] is None
    assert rig.records.event_counts()["code_rejected"] == 1


def test_already_captured_today(tmp_path):
    rig = Rig(tmp_path)
    rig.to_review("GOOD:55")
    rig.send(Touch("accept"))
    rig.wait(10)
    rig.send(CodeSeen("GOOD:55"))
    assert rig.state == "idle"
    assert "already taken today" in rig.booth.snapshot()["notice"]["en"]


def test_already_captured_retake_when_config_allows(tmp_path):
    rig = Rig(tmp_path, booth=BoothSection(retake_after_accept=True))
    rig.to_review("GOOD:55")
    rig.send(Touch("accept"))
    rig.wait(10)
    rig.send(CodeSeen("GOOD:55"))
    assert rig.state == "confirm"
    assert rig.booth.snapshot()["repeat_capture"] is True


def test_not_ready_refuses_new_sessions(tmp_path):
    full = Message("存储空间不足，暂停服务", "Storage is full, the booth is paused")
    rig = Rig(tmp_path, readiness=lambda: full)
    rig.send(CodeSeen("GOOD:1"))
    assert rig.state == "idle"
    assert rig.booth.snapshot()["notice"]["en"].startswith("Storage is full")


def test_staff_pause_and_resume(tmp_path):
    rig = Rig(tmp_path)
    rig.send(StaffCommand("pause"))
    assert rig.state == "paused" and rig.lights.scenes[-1] == "paused"
    rig.send(CodeSeen("GOOD:1"))
    assert rig.state == "paused"
    rig.send(StaffCommand("resume"))
    assert rig.state == "idle"
    rig.send(CodeSeen("GOOD:1"))
    assert rig.state == "confirm"


def test_unplaceable_head_is_a_head_geometry_failure(tmp_path):
    from kiosk.booth.ports import PhotoNotUsable

    rig = Rig(tmp_path)

    def formatter(still, report):
        raise PhotoNotUsable("head_geometry", Message("请靠近一点", "Please come a little closer."))

    rig.booth.formatter = formatter
    rig.to_review()
    verdict = rig.booth.snapshot()["verdict"]
    assert verdict["pass"] is False
    assert verdict["reasons"][0]["id"] == "head_geometry"
    assert verdict["reasons"][0]["zh"] == "请靠近一点"
    assert rig.booth.snapshot()["photo"] is not None  # the student sees the shot they are asked to retake
    rig.send(Touch("accept"))
    assert rig.sink.captures == []


def test_live_hints_show_while_posing_only(tmp_path):
    from kiosk.booth import Hints

    rig = Rig(tmp_path)
    closer = Message("请靠近一点", "Please come a little closer")
    rig.send(Hints((closer,)))  # idle: not posing, ignored
    assert rig.booth.snapshot()["hints"] == []
    rig.send(CodeSeen("GOOD:3"))
    rig.send(Touch("confirm"))
    rig.send(Hints((closer,)))
    assert rig.booth.snapshot()["hints"] == [{"zh": "请靠近一点", "en": "Please come a little closer"}]
    rig.send(Hints(()))
    assert rig.booth.snapshot()["hints"] == []
    rig.send(Hints((closer,)))
    rig.send(Touch("start"))
    assert rig.booth.snapshot()["hints"] == []


def sight(rig: Rig, advice: str, seconds: float, every: float = 0.1) -> None:
    """The scanner reports an unreadable code on every scanned frame for ``seconds``."""
    t = 0.0
    while t < seconds - 1e-9:
        rig.send(CodeSighted(advice))
        rig.clock.advance(every)
        t += every


def test_a_code_seen_but_not_read_for_a_second_asks_the_student_to_come_closer(tmp_path):
    rig = Rig(tmp_path)
    sight(rig, "closer", 0.8)
    assert rig.booth.snapshot()["scan_hint"] is None  # a glimpse is not worth a word yet
    sight(rig, "closer", 0.4)
    hint = rig.booth.snapshot()["scan_hint"]
    assert hint == {"advice": "closer", "zh": "请把手机靠近一些", "en": "Hold your phone a little closer"}
    rig.wait(1.0)
    assert rig.booth.snapshot()["scan_hint"] is not None  # a second without a sighting: still shown
    rig.wait(1.0)
    assert rig.booth.snapshot()["scan_hint"] is None  # the phone went away: the advice goes too


def test_the_advice_is_the_most_frequent_one_and_does_not_flicker(tmp_path):
    rig = Rig(tmp_path)
    for _ in range(8):
        sight(rig, "brighter", 0.2)
        sight(rig, "closer", 0.1)
    assert rig.booth.snapshot()["scan_hint"]["en"] == "Turn up your screen brightness"


def test_reading_the_code_ends_the_advice(tmp_path):
    rig = Rig(tmp_path)
    sight(rig, "steadier", 1.2)
    assert rig.booth.snapshot()["scan_hint"]["zh"] == "请保持手机稳定"
    rig.send(CodeSeen("GOOD:2024001"))
    assert rig.state == "confirm" and rig.booth.snapshot()["scan_hint"] is None
    rig.send(CodeSighted("closer"))  # the phone still in view during the session changes nothing
    rig.send(Touch("cancel"))
    assert rig.state == "idle" and rig.booth.snapshot()["scan_hint"] is None
