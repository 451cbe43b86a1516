"""Staff actions: pause and resume, voiding a capture (records and queue), retrying quarantined uploads.

Each one must land in the audit log with who, when and what.
"""

from __future__ import annotations

import re

import pytest

from kiosk.queue.outbox import OutboxError
from kiosk.staff.actions import Actor
from kiosk.staff.voids import VoidError
from tests.helpers.staff import login, page_token, photograph, staff_rig


@pytest.fixture
def rig(tmp_path):
    yield from staff_rig(tmp_path)


def accepted_id(rig) -> str:
    (capture,) = rig.records.accepted_captures()
    return capture["id"]


def test_pause_and_resume_from_the_dashboard(rig):
    client = rig.client
    login(client)
    token = page_token(client)
    resp = client.post("/staff/actions/pause", data={"csrf_token": token}, follow_redirects=True)
    assert "Paused: no new student can start" in resp.get_data(as_text=True)
    rig.booth.step()
    assert rig.booth.state.name == "paused"
    client.post("/staff/actions/resume", data={"csrf_token": token})
    rig.booth.step()
    assert rig.booth.state.name == "idle"
    entries = rig.console.audit.entries()
    assert [(e.who, e.action, e.target) for e in entries[:2]] == [
        ("staff", "resume", "booth"),
        ("staff", "pause", "booth"),
    ]
    assert entries[0].at == "2026-06-01T09:00:00+00:00" and entries[0].remote == "127.0.0.1"


def test_void_a_waiting_capture_withdraws_it_and_lets_the_student_retake(rig):
    photograph(rig.runtime, "2024001")
    capture_id = accepted_id(rig)
    outbox = rig.outbox
    assert outbox.get(capture_id).state == "pending"
    client = rig.client
    login(client)
    html = client.get("/staff/captures").get_data(as_text=True)
    assert capture_id in html and "示范大学" in html
    # Only the masked identity the student confirmed on screen, so staff void the right photo.
    assert "张**" in html and "*****8746" in html
    token = page_token(client, "/staff/captures")
    resp = client.post(
        "/staff/actions/void",
        data={"csrf_token": token, "capture_id": capture_id, "reason": "  wrong   student in the photo "},
        follow_redirects=True,
    )
    assert "it will never be sent" in resp.get_data(as_text=True)
    # the queue: settled without sending; the uploader never claims it and retry refuses it
    entry = outbox.get(capture_id)
    assert (entry.state, entry.reason) == ("voided", "wrong student in the photo")
    assert outbox.claim() is None
    with pytest.raises(OutboxError, match="voided by staff"):
        outbox.retry(capture_id)
    # the records: no longer accepted, marked voided
    assert rig.records.accepted_captures() == []
    (row,) = rig.console.store.query("SELECT * FROM voided_captures")
    assert (row["capture_id"], row["voided_by"], row["reason"], row["queue_outcome"]) == (
        capture_id,
        "staff",
        "wrong student in the photo",
        "withdrawn",
    )
    rig.clock.advance(5)
    today = client.get("/staff/api/live").get_json()["today"]
    assert (today["accepted"], today["voided"]) == (0, 1)
    # the audit log
    entry = rig.console.audit.entries()[0]
    assert (entry.who, entry.action, entry.target) == ("staff", "void", capture_id)
    assert entry.detail == {"reason": "wrong student in the photo", "queue": "withdrawn"}
    # the same student may come back today
    photograph(rig.runtime, "2024001")
    assert len(rig.records.accepted_captures()) == 1


def test_void_after_upload_says_the_centre_must_be_told(rig):
    photograph(rig.runtime, "1")
    capture_id = accepted_id(rig)
    outbox = rig.outbox
    outbox.claim()
    outbox.mark_done(capture_id)
    client = rig.client
    login(client)
    token = page_token(client, "/staff/captures")
    resp = client.post(
        "/staff/actions/void", data={"csrf_token": token, "capture_id": capture_id, "reason": "eyes closed"}
    )
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "ask the centre to discard it" in page
    assert outbox.get(capture_id).reason is None  # the queue's record of the sent capture is left alone
    assert rig.console.audit.entries()[0].detail["queue"] == "already_sent"


def test_void_refuses_what_cannot_be_voided(rig):
    photograph(rig.runtime, "1", [False, True])
    actions, staff = rig.console.actions, Actor("staff")
    rejected = rig.console.store.query("SELECT id FROM captures WHERE passed = 0")[0]["id"]
    with pytest.raises(VoidError, match="was not accepted"):
        actions.void(staff, rejected, "not needed")
    with pytest.raises(VoidError, match="no capture"):
        actions.void(staff, "nope", "not needed")
    capture_id = accepted_id(rig)
    with pytest.raises(VoidError, match="reason"):
        actions.void(staff, capture_id, "  ")
    assert actions.void(staff, capture_id, "blurred").queue == "withdrawn"
    with pytest.raises(VoidError, match="already voided"):
        actions.void(staff, capture_id, "blurred")


def test_outbox_void_by_state(rig):
    photograph(rig.runtime, "1")
    photograph(rig.runtime, "2")
    outbox = rig.outbox
    first, second = (e.capture_id for e in outbox.entries())
    outbox.quarantine(first, "centre refused")
    assert outbox.void(first, "x") == "withdrawn"  # quarantined: never sent
    outbox.claim()
    assert outbox.get(second).state == "uploading"
    assert outbox.void(second, "x") == "already_sent"  # being sent right now
    assert outbox.get(second).state == "uploading"
    assert outbox.void("never-queued", "x") == "not_queued"
    assert outbox.status().counts["quarantined"] == 0


def test_retry_quarantined_uploads(rig):
    photograph(rig.runtime, "1")
    photograph(rig.runtime, "2")
    outbox = rig.outbox
    first, second = (e.capture_id for e in outbox.entries())
    outbox.quarantine(first, "centre refused: 400")
    outbox.quarantine(second, "centre refused: 400")
    client = rig.client
    login(client)
    html = client.get("/staff/uploads").get_data(as_text=True)
    assert 'id="quarantined-count">2<' in html and "centre refused: 400" in html
    token = page_token(client, "/staff/uploads")
    client.post("/staff/actions/retry", data={"csrf_token": token, "capture_id": first})
    assert outbox.get(first).state == "pending" and outbox.get(second).state == "quarantined"
    resp = client.post("/staff/actions/retry", data={"csrf_token": token}, follow_redirects=True)
    assert "1 upload(s) queued again" in resp.get_data(as_text=True)
    assert outbox.get(second).state == "pending"
    resp = client.post("/staff/actions/retry", data={"csrf_token": token, "capture_id": "nope"}, follow_redirects=True)
    assert "no capture nope in the queue" in resp.get_data(as_text=True)
    audit = [(e.action, e.target) for e in rig.console.audit.entries() if e.action == "retry"]
    assert audit == [("retry", "all quarantined"), ("retry", first)]
    assert "重新上传" in client.get("/staff/audit").get_data(as_text=True)  # the audit log names it in words


def test_the_uploads_page_says_how_long_ago_the_last_upload_succeeded(rig):
    photograph(rig.runtime, "1")
    (entry,) = rig.outbox.entries()
    rig.outbox.claim()
    rig.outbox.mark_done(entry.capture_id)
    login(rig.client)
    html = rig.client.get("/staff/uploads").get_data(as_text=True)
    assert re.search(r'<span class="en">Last success</span>: \d+ s ago', html), html
