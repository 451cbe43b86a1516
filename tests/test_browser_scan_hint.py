"""A phone held too far away, in a real browser: the booth sees the code, cannot read it, and says so.

Debian's chromium, driven by Playwright, against the booth started as a technician starts it, with the
replay camera showing a phone whose code is too small to read at the preview's resolution.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import pytest

from kiosk.codes.phone_screen import render_phone
from kiosk.core.config import load_config
from kiosk.demo.director import demo_config, ensure_demo_centre_keys, ensure_demo_keyring
from tests.helpers.browser import needs_chromium
from tests.helpers.servers import serving

pytestmark = [pytest.mark.browser, needs_chromium]

UNREADABLE_FROM_HERE = "XC1:k2024:" + "Q2FwdHVyZS1jb2RlLXRlc3QtcGF5bG9hZA_-" * 6


@pytest.fixture
def far_phone_booth(tmp_path: Path):
    from kiosk.app.wiring import prepare_data_dir, start_booth

    camera_dir = tmp_path / "camera"
    camera_dir.mkdir()
    cv2.imwrite(str(camera_dir / "phone.png"), render_phone(UNREADABLE_FROM_HERE, scale=0.27))
    config = demo_config(load_config(data_dir=tmp_path / "data"))
    config = replace(
        config,
        camera=replace(config.camera, replay_dir=str(camera_dir)),
        web=replace(config.web, port=0),
        staff=replace(config.staff, enabled=False),
    )
    prepare_data_dir(config)
    ensure_demo_keyring(config.keyring_path)
    ensure_demo_centre_keys(Path(config.upload.centre_public_key))
    running = start_booth(config)
    with serving(running):
        yield running


def test_a_phone_too_far_away_is_asked_to_come_closer(far_phone_booth, launch_browser):
    page = launch_browser(1280, 800)
    page.goto(far_phone_booth.url)
    page.wait_for_selector("#scan-hint:not([hidden])", timeout=20_000)
    assert "请把手机靠近一些" in page.locator("#scan-hint").inner_text()
    assert page.locator('#scan-hint .scan-pic[data-advice="closer"]').is_visible()
    assert not page.locator('#scan-hint .scan-pic[data-advice="brighter"]').is_visible()
    assert page.locator("body").get_attribute("data-state") == "idle"  # nothing was read
