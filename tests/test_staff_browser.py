"""The staff dashboard in a real browser (Debian's chromium, driven by Playwright): sign in, watch it update."""

from __future__ import annotations

import threading

import pytest

from kiosk.staff.schedule import read_schedule, save_batches
from tests.helpers.browser import needs_chromium
from tests.helpers.staff import PASSWORD, make_rig, photograph

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
]


@pytest.fixture
def served(tmp_path, monkeypatch):
    from waitress import create_server

    from kiosk.centre.receiver import serve_until
    from kiosk.web import create_staff_app

    monkeypatch.setattr("kiosk.web.staff.POLL_MS", 400)
    rig = make_rig(tmp_path)
    rig.console.passwords.set("staff", PASSWORD)
    schedule = "日期,开始时间,结束时间,学院,人数\n2026-06-01,09:00,10:00,计算机学院,4\n"
    save_batches(rig.console.store, read_schedule(schedule.encode(), "s.csv"), "s.csv", rig.clock.wall())
    server = create_server(create_staff_app(rig.console), host="127.0.0.1", port=0, threads=4)
    stop = threading.Event()
    thread = threading.Thread(target=serve_until, args=(server, stop), daemon=True)
    thread.start()
    yield rig, f"http://127.0.0.1:{server.effective_port}"
    stop.set()
    thread.join(timeout=5)
    rig.console.close()
    rig.close()


@pytest.fixture
def page(launch_browser):
    return launch_browser(390, 844)  # a phone


def test_dashboard_signs_in_and_updates_live(served, page):
    from playwright.sync_api import expect

    rig, base = served
    page.goto(base + "/staff/dashboard")
    page.wait_for_selector("#sign-in")  # signed out: the sign-in page
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("body[data-page=dashboard]")

    # health and the current batch, rendered from the first data
    assert "正常" in page.locator("#camera-ok").inner_text()
    assert page.locator("#status").get_attribute("data-level") == "ok"
    assert page.locator("#batch-unit").inner_text() == "计算机学院"
    assert page.locator("#batch-captured").inner_text() == "0"
    assert page.locator("#batch-expected").inner_text() == "4"
    assert page.locator("#disk-free").inner_text() == "20.0 GB"
    assert page.locator("#pause").is_enabled() and page.locator("#resume").is_disabled()

    # a student is photographed and the camera then stops: the page follows without a reload
    photograph(rig.runtime, "1")
    rig.stop_camera()
    rig.clock.advance(3)  # past the health cache
    expect(page.locator("#batch-captured")).to_have_text("1", timeout=10_000)
    page.wait_for_selector("#status[data-level=bad]", timeout=10_000)
    assert "异常" in page.locator("#camera-ok").inner_text()
    assert "camera is not delivering frames" in page.locator("#warnings").inner_text()
    assert page.locator("#today-accepted").inner_text() == "1"
    assert page.locator("#pace-actual").inner_text().endswith("/min")

    # pause from the phone: confirmed in a dialog, audited, and the buttons follow
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#pause")
    page.wait_for_selector(".flash.ok")
    rig.runtime.booth.step()
    rig.clock.advance(3)
    expect(page.locator("#resume")).to_be_enabled(timeout=10_000)
    expect(page.locator("#pause")).to_be_disabled()
    assert rig.console.audit.entries()[0].action == "pause"


def test_the_per_batch_table_fits_a_laptop_screen(served, launch_browser):
    """At 1280 wide the per-batch statistics, top reasons included, show without a sideways scroll."""
    rig, base = served
    photograph(rig.runtime, "1")
    page = launch_browser(1280, 800)
    page.goto(base + "/staff/statistics")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#per-batch")
    table = page.locator("#per-batch")
    width = table.evaluate("t => [t.scrollWidth, t.parentElement.clientWidth]")
    assert width[0] <= width[1], width
    # seven columns get the page's whole width, not half of it beside the day's figures
    card, main = page.locator("section:has(#per-batch)").bounding_box(), page.locator("main").bounding_box()
    assert card["width"] > 0.9 * main["width"], (card, main)
