"""The student page's endpoints, through Flask's test client, on a real booth with fake hardware."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kiosk.booth import CodeSeen, CodeSighted
from kiosk.web import create_app
from tests.helpers.fakes import make_booth_rig


@pytest.fixture
def rig(tmp_path):
    booth = make_booth_rig(tmp_path)
    app = create_app(booth.runtime, max_streams=1)
    yield booth, app.test_client()
    booth.close()


def test_page_is_chinese_first_with_english(rig):
    _, client = rig
    html = client.get("/").get_data(as_text=True)
    assert 'class="lang-zh"' in html
    assert "请出示采集码" in html and "Show your capture code" in html


def test_actions_drive_the_booth(rig):
    booth_rig, client = rig
    booth_rig.booth.post(CodeSeen("GOOD:9"))
    booth_rig.booth.step()
    assert client.get("/api/state").get_json()["state"] == "confirm"
    assert client.post("/api/action", json={"action": "confirm"}).get_json() == {"ok": True}
    booth_rig.booth.step()
    assert client.get("/api/state").get_json()["state"] == "pose"


def test_unknown_or_form_actions_are_refused(rig):
    booth_rig, client = rig
    assert client.post("/api/action", json={"action": "explode"}).status_code == 400
    # A cross-site HTML form can only send form data, which is refused.
    assert client.post("/api/action", data={"action": "cancel"}).status_code == 400


def test_events_stream_sends_the_snapshot(rig):
    booth_rig, client = rig
    resp = client.get("/events", buffered=False)
    assert resp.mimetype == "text/event-stream"
    chunks = resp.response
    first = next(chunks)
    first = first.decode() if isinstance(first, bytes) else first
    second = next(chunks)
    second = second.decode() if isinstance(second, bytes) else second
    assert first.startswith("retry:")
    snap = json.loads(second.removeprefix("data: ").strip())
    assert snap["state"] == "idle" and snap["subject"] is None and snap["camera_ok"] is True
    booth_rig.stop_camera()  # the camera stops: the page hears of it without a state change
    third = next(chunks)
    third = third.decode() if isinstance(third, bytes) else third
    assert json.loads(third.removeprefix("data: ").strip())["camera_ok"] is False
    resp.close()


def test_mjpeg_is_capped_and_falls_back_to_a_still(rig):
    booth_rig, client = rig
    booth_rig.runtime.hub.publish(np.zeros((72, 128, 3), np.uint8))
    first = client.get("/stream.mjpg", buffered=False)
    assert first.mimetype == "multipart/x-mixed-replace"
    chunk = next(first.response)
    assert chunk.startswith(b"--frame\r\nContent-Type: image/jpeg")
    second = client.get("/stream.mjpg")  # over the cap of one stream
    assert second.mimetype == "image/jpeg" and second.data.startswith(b"\xff\xd8")
    first.close()
    third = client.get("/stream.mjpg", buffered=False)
    assert third.mimetype == "multipart/x-mixed-replace"
    third.close()


def test_photo_only_while_under_review(rig):
    _, client = rig
    assert client.get("/photo/whatever.jpg").status_code == 404


def test_errors_never_show_a_traceback(rig, monkeypatch):
    booth_rig, client = rig

    def boom():
        raise RuntimeError("secret internals")

    monkeypatch.setattr(booth_rig.booth, "snapshot", boom)
    resp = client.get("/api/state")
    assert resp.status_code == 500
    text = resp.get_data(as_text=True)
    assert "secret internals" not in text and "Traceback" not in text
    assert "Something went wrong" in text


def test_readyz_and_healthz(rig):
    _, client = rig
    assert client.get("/healthz").get_json() == {"ok": True}
    assert client.get("/readyz").get_json() == {"ready": True, "problems": []}


def test_a_code_seen_but_not_read_puts_advice_with_a_picture_next_to_the_live_view(rig):
    booth_rig, client = rig
    html = client.get("/").get_data(as_text=True)
    assert 'id="scan-hint"' in html and "scan_hint.js" in html
    for advice in ("closer", "brighter", "steadier"):
        assert f'class="scan-pic" data-advice="{advice}"' in html  # a picture for every advice
    assert client.get("/static/scan_hint.js").status_code == 200
    assert client.get("/api/state").get_json()["scan_hint"] is None
    for _ in range(12):  # the scanner reports an unreadable code ten times a second
        booth_rig.booth.post(CodeSighted("closer"))
        booth_rig.booth.step()
        booth_rig.clock.advance(0.1)
    hint = client.get("/api/state").get_json()["scan_hint"]
    assert hint == {"advice": "closer", "zh": "请把手机靠近一些", "en": "Hold your phone a little closer"}
    booth_rig.clock.advance(2.0)
    booth_rig.booth.step()
    assert client.get("/api/state").get_json()["scan_hint"] is None
