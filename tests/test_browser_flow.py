"""The whole booth in a real browser: Debian's chromium, driven by Playwright, against ``kiosk demo``.

The replay camera shows a phone with a freshly issued capture code; the booth reads it from the preview
frames, the student confirms, poses (a real portrait placed on the blue backdrop at booth scale), counts
down, is checked, accepts, and the sealed photo ends up in the database and on disk.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.config import load_config
from kiosk.demo import demo_config
from tests.conftest import needs_chromium

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
]


@pytest.fixture
def booth(tmp_path, faces_dir):
    from kiosk.vision.checker import ComplianceChecker
    from kiosk.wiring import start_booth
    from tests.scenes import compliant_still

    photos = tmp_path / "photos"
    photos.mkdir()
    cv2.imwrite(str(photos / "student.png"), compliant_still(ComplianceChecker("chsi").analyser, faces_dir))
    config = demo_config(load_config(data_dir=tmp_path / "data"), countdown=1)
    config = replace(config, web=replace(config.web, port=0), staff=replace(config.staff, port=0))
    running = start_booth(config, demo=True, demo_photos=photos)
    thread = threading.Thread(target=running.server.run, daemon=True)
    thread.start()
    yield running, config
    running.close()


@pytest.fixture
def page(launch_browser):
    return launch_browser(1280, 800)


def test_student_goes_from_code_to_stored_photo(booth, page, tmp_path):
    from kiosk.sealing import load_private_key, open_envelope

    running, config = booth
    page.goto(running.url)

    # The code on the phone is read from the camera: the masked identity appears.
    page.wait_for_selector("body[data-state=confirm]", timeout=20_000)
    assert page.locator("#id-name").inner_text() == "张*"
    assert page.locator("#id-idn").inner_text().endswith("0001")
    assert "*" in page.locator("#id-idn").inner_text()
    page.click("#view-confirm [data-action=confirm]")

    page.wait_for_selector("body[data-state=pose]")
    assert page.locator("#guide").is_visible()
    page.click("#view-pose [data-action=start]")
    page.wait_for_selector("body[data-state=countdown]")
    assert page.locator("#count").inner_text() == "1"

    page.wait_for_selector("body[data-state=review]", timeout=30_000)
    reasons = page.locator("#reasons li").all_inner_texts()
    assert page.locator("#verdict-pass").is_visible(), f"the portrait was rejected: {reasons}"
    assert page.locator("#shot").evaluate("img => img.naturalWidth") == 480
    page.click("#btn-accept")
    page.wait_for_selector("body[data-state=done]")
    assert "照片已保存" in page.locator("#view-done").inner_text()

    # Stored: a row in the booth's records and one sealed envelope that only the centre's key opens.
    records = running.runtime.booth.records.accepted_captures()
    assert len(records) == 1
    capture_id = records[0]["id"]
    data_dir = config.data_dir
    envelopes = [p for p in data_dir.rglob(f"{capture_id}.xce")]
    assert envelopes, "no sealed envelope on disk"
    raw = envelopes[0].read_bytes()
    opened = open_envelope(raw, load_private_key(Path(config.upload.centre_public_key).with_name("centre.key")))
    assert b"JFIF" not in raw and opened.photo_jpeg[:256] not in raw  # no readable photo on disk
    assert "张".encode() not in raw and b"DEMO00001" not in raw  # no identity on disk
    assert opened.meta["subject"]["uid"] == "DEMO00001"
    assert opened.meta["report"]["pass"] is True
    img = cv2.imdecode(np.frombuffer(opened.photo_jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert img.shape == (640, 480, 3)
