"""A passing photo the check was unsure about: the booth asks instead of blocking, and keeps the answer."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from kiosk.booth import Answer, ButtonPressed, CodeSeen, Touch
from kiosk.core.capture import AcceptedCapture
from kiosk.core.config import BoothSection
from kiosk.storage.sealing import open_envelope, seal_capture
from tests.helpers.booth_rig import Rig
from tests.helpers.fakes import ZHANG


def asking_rig(tmp_path, asks, verdicts=(True,), booth=None) -> Rig:
    rig = Rig(tmp_path, verdicts=verdicts, booth=booth)
    rig.checker.asks = list(asks)
    return rig


def to_question(rig: Rig) -> None:
    """Like Rig.to_review, ending on the question screen."""
    rig.send(CodeSeen("GOOD:2024001"))
    rig.send(Touch("confirm"))
    rig.send(Touch("start"))
    rig.wait(3.0)
    rig.booth.step()
    rig.booth.step()


def capture_row(rig: Rig, capture_id: str) -> dict:
    row = rig.records._conn.execute(
        "SELECT accepted, asked_checks, answered_checks FROM captures WHERE id=?", (capture_id,)
    ).fetchone()
    return {"accepted": bool(row[0]), "asked": json.loads(row[1]), "answered": json.loads(row[2])}


def test_unsure_check_asks_and_the_answer_accepts_the_photo(tmp_path):
    rig = asking_rig(tmp_path, [("jewellery",)])
    to_question(rig)
    assert rig.state == "ask"
    snap = rig.booth.snapshot()
    assert snap["verdict"]["pass"] is True and snap["photo"].endswith(".jpg")
    assert snap["question"] == {
        "id": "jewellery",
        "zh": "如果您佩戴了耳环或项链，请摘下后重拍",
        "en": "If you are wearing earrings or a necklace, please take them off and retake",
        "answer": {"zh": "我没有佩戴", "en": "I am not wearing any"},
        "number": 1,
        "of": 1,
    }
    assert rig.sink.captures == []  # nothing kept before the student answers
    capture_id = rig.booth.ctx.capture_id
    assert capture_row(rig, capture_id) == {"accepted": False, "asked": ["jewellery"], "answered": []}

    rig.send(Answer("jewellery"))
    assert rig.state == "done"
    (cap,) = rig.sink.captures
    assert cap.answered == ("jewellery",) and cap.report["asked"] == ["jewellery"]
    assert capture_row(rig, capture_id) == {"accepted": True, "asked": ["jewellery"], "answered": ["jewellery"]}
    rig.wait(7)
    outcome = rig.records._conn.execute("SELECT outcome FROM sessions").fetchone()[0]
    assert outcome == "accepted"


def test_questions_come_one_at_a_time_and_a_stale_tap_answers_nothing(tmp_path):
    rig = asking_rig(tmp_path, [("sharpness", "jewellery")])  # review order: jewellery first
    to_question(rig)
    assert rig.booth.snapshot()["question"]["id"] == "jewellery"
    rig.send(Answer("sharpness"))  # not the question on screen
    assert rig.booth.snapshot()["question"]["id"] == "jewellery"
    rig.send(Answer("jewellery"))
    rig.send(Answer("jewellery"))  # a double tap: the second question is not answered by it
    q = rig.booth.snapshot()["question"]
    assert rig.state == "ask" and q["id"] == "sharpness" and (q["number"], q["of"]) == (2, 2)
    # A check without its own answer wording gets the generic one.
    assert q["answer"] == {"zh": "以上不适用", "en": "This does not apply to me"}
    rig.send(Answer("sharpness"))
    assert rig.state == "done"
    assert rig.sink.captures[0].answered == ("jewellery", "sharpness")


def test_retake_from_a_question_counts_an_attempt(tmp_path):
    rig = asking_rig(tmp_path, [("jewellery",), ()], booth=BoothSection(max_attempts=3))
    to_question(rig)
    rig.send(Touch("retake"))
    assert rig.state == "pose"
    rig.send(Touch("start"))
    rig.wait(3.0)
    rig.booth.step()
    rig.booth.step()
    assert rig.state == "review"  # the earrings came off: nothing to ask
    assert rig.booth.snapshot()["question"] is None
    rig.send(ButtonPressed())
    (cap,) = rig.sink.captures
    assert cap.attempt == 2 and cap.answered == ()


def test_the_big_button_does_not_answer_for_the_student(tmp_path):
    rig = asking_rig(tmp_path, [("jewellery",)])
    to_question(rig)
    rig.send(ButtonPressed())
    assert rig.state == "ask" and rig.sink.captures == []
    assert "answer on the screen" in rig.booth.snapshot()["notice"]["en"]
    rig.send(Touch("accept"))  # nor does a stray "use this photo"
    assert rig.state == "ask" and rig.sink.captures == []


def test_walking_away_from_a_question_keeps_nothing(tmp_path):
    rig = asking_rig(tmp_path, [("jewellery",)])
    to_question(rig)
    rig.wait(44)
    assert rig.state == "ask"
    rig.wait(2)
    assert rig.state == "idle" and rig.sink.captures == []
    assert "Timed out" in rig.booth.snapshot()["notice"]["en"]
    assert rig.records.event_counts().get("ask_unanswered") == 1
    outcome = rig.records._conn.execute("SELECT outcome FROM sessions").fetchone()[0]
    assert outcome == "timeout"


def test_a_failing_photo_shows_its_reasons_not_its_questions(tmp_path):
    rig = asking_rig(tmp_path, [("jewellery",)], verdicts=[False])
    to_question(rig)
    assert rig.state == "review"
    snap = rig.booth.snapshot()
    assert snap["question"] is None and [r["id"] for r in snap["verdict"]["reasons"]] == ["glasses"]


def test_last_shot_can_still_be_answered_but_not_retaken(tmp_path):
    rig = asking_rig(tmp_path, [("jewellery",)], booth=BoothSection(max_attempts=1))
    to_question(rig)
    assert rig.booth.snapshot()["verdict"]["can_retake"] is False
    rig.send(Touch("retake"))
    assert rig.state == "ask"
    rig.send(Answer("jewellery"))
    assert rig.state == "done" and len(rig.sink.captures) == 1


def test_answered_photo_that_cannot_be_saved_waits_in_review_with_its_answers(tmp_path):
    rig = asking_rig(tmp_path, [("jewellery",)])
    rig.sink.fail = 1
    to_question(rig)
    rig.send(Answer("jewellery"))
    assert rig.state == "review"
    assert "could not be saved" in rig.booth.snapshot()["notice"]["en"]
    rig.send(Touch("accept"))
    assert rig.state == "done" and rig.sink.captures[0].answered == ("jewellery",)


def test_the_sealed_envelope_carries_the_answers(keys):
    capture = AcceptedCapture(
        capture_id="5f0c6b1e-2d7a-4c1b-9e8f-0a1b2c3d4e5f",
        kiosk_id="booth-1",
        subject=ZHANG,
        taken_at=datetime(2026, 6, 1, 9, 30, tzinfo=UTC),
        profile="chsi",
        attempt=1,
        report={"pass": True, "asked": ["jewellery"], "checks": {}, "ms": 3.0},
        photo_jpeg=b"\xff\xd8\xffphoto",
        answered=("jewellery",),
    )
    meta = open_envelope(seal_capture(capture, keys.public), keys.private).meta
    assert meta["answered"] == ["jewellery"] and meta["report"]["asked"] == ["jewellery"]
    plain = open_envelope(seal_capture(replace(capture, answered=()), keys.public), keys.private)
    assert plain.meta["answered"] == []


def test_records_from_before_questions_are_migrated(tmp_path):
    from kiosk.core.clock import FakeClock
    from kiosk.storage import db
    from kiosk.storage.records import MIGRATIONS, BoothRecords

    path = tmp_path / "booth.sqlite"
    old = db.connect(path, MIGRATIONS[:2])
    old.execute("INSERT INTO sessions(id, started_at, day, uid_key, school, level) VALUES (1,'t','d','k','s','l')")
    old.execute(
        "INSERT INTO captures(id, session_id, attempt, taken_at, passed, failed_checks, check_ms)"
        " VALUES ('c1', 1, 1, 't', 1, '[]', 5.0)"
    )
    old.close()
    records = BoothRecords(path, b"k" * 32, FakeClock())
    row = records._conn.execute("SELECT asked_checks, answered_checks FROM captures WHERE id='c1'").fetchone()
    assert tuple(row) == ("[]", "[]")
    records.record_answers("c1", ["jewellery"])
    assert records._conn.execute("SELECT answered_checks FROM captures").fetchone()[0] == '["jewellery"]'


def test_the_page_sends_an_answer_with_its_check(tmp_path):
    from kiosk.web import create_app
    from tests.helpers.fakes import make_booth_rig

    runtime = make_booth_rig(tmp_path)
    runtime.checker.asks = [("jewellery",)]
    client = create_app(runtime.runtime, max_streams=1).test_client()
    html = client.get("/").get_data(as_text=True)
    assert 'id="view-ask"' in html and 'data-action="answer"' in html
    assert client.post("/api/action", json={"action": "answer"}).status_code == 400
    assert client.post("/api/action", json={"action": "answer", "check": 7}).status_code == 400
    booth = runtime.booth
    booth.post(CodeSeen("GOOD:5"))
    booth.step()
    client.post("/api/action", json={"action": "confirm"})
    booth.step()
    client.post("/api/action", json={"action": "start"})
    booth.step()
    runtime.clock.advance(3.5)
    for _ in range(3):
        booth.step()
    assert client.get("/api/state").get_json()["question"]["id"] == "jewellery"
    assert client.post("/api/action", json={"action": "answer", "check": "jewellery"}).get_json() == {"ok": True}
    booth.step()
    assert client.get("/api/state").get_json()["state"] == "done"
    (answered,) = runtime.records._conn.execute("SELECT answered_checks FROM captures").fetchone()
    assert answered == '["jewellery"]'
    runtime.close()


def test_answers_that_cannot_be_noted_in_the_records_still_travel_with_the_photo(tmp_path):
    rig = asking_rig(tmp_path, [("jewellery",)])

    def full_disk(capture_id, answered):
        raise OSError(28, "No space left on device")

    rig.records.record_answers = full_disk  # type: ignore[method-assign]
    to_question(rig)
    rig.send(Answer("jewellery"))
    assert rig.state == "done" and rig.sink.captures[0].answered == ("jewellery",)


def test_answers_reach_a_verdict_recorded_only_at_acceptance(tmp_path):
    rig = asking_rig(tmp_path, [("jewellery",)])
    record_capture, calls = rig.records.record_capture, []

    def full_once(*args):
        calls.append(args)
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        return record_capture(*args)

    rig.records.record_capture = full_once  # type: ignore[method-assign]
    to_question(rig)
    assert rig.state == "ask" and len(calls) == 1
    rig.send(Answer("jewellery"))
    assert rig.state == "done"
    assert capture_row(rig, rig.sink.captures[0].capture_id) == {
        "accepted": True,
        "asked": ["jewellery"],
        "answered": ["jewellery"],
    }
