"""The health snapshot and the probes: a stopped camera, a full disk, a hot and under-powered Pi."""

from __future__ import annotations

import pytest

from kiosk.core.config import LightsSection
from kiosk.output.printing import PrinterState
from kiosk.staff.actions import Actor
from kiosk.staff.health import SystemProbe
from tests.helpers.staff import GB, PASSWORD, DiskUsage, fake_system, login, make_rig, photograph, staff_rig

IDLE = LightsSection().idle  # the scene an idle booth's lights show, read back from the (mock) pins


@pytest.fixture
def rig(tmp_path):
    yield from staff_rig(tmp_path)


def live(rig):
    rig.clock.advance(5)  # past the snapshot cache
    resp = rig.client.get("/staff/api/live")
    assert resp.status_code == 200
    return resp.get_json()


def test_healthy_booth(rig):
    login(rig.client)
    photograph(rig.runtime, "1")
    health = live(rig)["health"]
    assert health["level"] == "ok" and health["warnings"] == []
    assert health["booth"] == {
        "state": "idle",
        "paused": False,
        "ready": True,
        "problems": [],
        "loop_age_s": 0.05,
        "staff_needed": [],
    }
    assert health["camera"]["healthy"] and health["camera"]["fps"] == 15.0
    assert health["gpio"]["lights"]["key_light"] == IDLE.key and health["gpio"]["button_pressed"] is False
    assert health["model"] == {
        "loaded": True,
        "profile": "chsi",
        "last_check_ms": 5.0,
        "last_check_age_s": 15.0,
        "calibration": "missing",
        "calibration_detail": "not calibrated",
    }
    assert health["disk"]["free_mb"] == 20 * 1024 and health["disk"]["ok"]
    system = health["system"]
    assert system["cpu_temp_c"] == 48.3 and system["under_voltage_now"] is False and system["throttled_raw"] == "0x0"
    assert system["memory_available_mb"] == 2000.0 and system["clock_synchronised"] is True
    queue = health["queue"]
    assert queue["pending"] == 1 and queue["quarantined"] == 0 and queue["oldest_pending_age_s"] >= 10


def test_stopped_camera(rig):
    login(rig.client)
    rig.stop_camera()
    data = live(rig)
    health = data["health"]
    assert health["camera"] == {
        "healthy": False,
        "last_frame_age_s": 42.0,
        "fps": 0.0,
        "last_error": "preview: camera stopped",
        "reopen_count": 1,
    }
    assert health["level"] == "bad" and not health["booth"]["ready"]
    assert {w["key"] for w in health["warnings"]} >= {"camera", "not_ready"}
    # /readyz on the staff server says the same, as JSON
    ready = rig.client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json() == {
        "ready": False,
        "problems": ["camera not delivering frames"],
    }
    assert rig.client.get("/healthz").get_json() == {"ok": True}


def test_full_disk(tmp_path):
    rig = make_rig(tmp_path, probe=fake_system(tmp_path / "root", free_bytes=100 * 1024 * 1024))
    rig.console.passwords.set("staff", PASSWORD)
    login(rig.client)
    health = live(rig)["health"]
    assert health["disk"]["free_mb"] == 100.0 and health["disk"]["min_free_mb"] == 500
    assert health["disk"]["ok"] is False
    assert health["level"] == "bad"
    assert any(w["key"] == "disk" and "Disk nearly full" in w["en"] for w in health["warnings"])
    rig.console.close()
    rig.close()


def test_hot_throttled_under_voltage_and_unsynchronised(tmp_path):
    probe = fake_system(tmp_path / "root", temp_c=83.5, under_voltage=True, throttled="0x50005", synced="no")
    rig = make_rig(tmp_path, probe=probe)
    health = rig.console.health.snapshot()
    s = health.system
    assert (s.cpu_temp_c, s.under_voltage_now, s.throttled_now) == (83.5, True, True)
    assert (s.under_voltage_occurred, s.throttled_occurred, s.throttled_raw) == (True, True, "0x50005")
    assert s.clock_synchronised is False
    assert {w.key for w in health.warnings} == {"hot", "voltage", "throttled", "clock"}
    rig.console.close()
    rig.close()


def test_a_laptop_without_pi_sensors_or_commands(tmp_path):
    probe = SystemProbe(root=tmp_path / "empty", run=lambda argv: None, disk_usage=lambda p: DiskUsage(GB, 0, GB))
    s = probe.cpu_temp_c(), probe.under_voltage_hwmon(), probe.throttled_bits(), probe.clock_synchronised()
    assert s == (None, None, None, None)
    assert probe.memory_mb() == (None, None)


def test_under_voltage_from_vcgencmd_alone(tmp_path):
    probe = SystemProbe(root=tmp_path, run=lambda argv: "throttled=0x1" if argv[0] == "vcgencmd" else None)
    rig = make_rig(tmp_path, probe=probe)
    assert rig.console.health.snapshot().system.under_voltage_now is True
    rig.console.close()
    rig.close()


def test_paused_booth_and_quarantined_upload(rig):
    login(rig.client)
    photograph(rig.runtime, "1")
    (entry,) = rig.outbox.entries()
    rig.outbox.quarantine(entry.capture_id, "centre refused: bad request")
    rig.console.actions.pause(Actor("staff"))
    rig.booth.step()
    health = live(rig)["health"]
    assert health["booth"]["paused"] and health["booth"]["state"] == "paused"
    assert health["gpio"]["lights"]["key_light"] == 0.0  # read back from the pins
    assert health["queue"]["quarantined"] == 1
    assert health["queue"]["quarantined_items"][0]["reason"] == "centre refused: bad request"
    keys = {w["key"] for w in health["warnings"]}
    assert keys == {"paused", "quarantined"} and health["level"] == "warn"


def test_snapshot_is_cached_and_commands_are_not_run_on_every_poll(tmp_path):
    calls = []

    def run(argv):
        calls.append(argv[0])
        return None

    rig = make_rig(tmp_path, probe=SystemProbe(root=tmp_path, run=run))
    for _ in range(5):
        rig.console.health.snapshot()
        rig.clock.advance(3)
    assert calls == ["vcgencmd", "timedatectl"]  # once in 30 s
    rig.clock.advance(30)
    rig.console.health.snapshot()
    assert len(calls) == 4
    rig.console.close()
    rig.close()


def test_a_failing_part_does_not_break_the_snapshot(rig):
    rig.lights.close()  # its pins released: reading them back fails
    rig.outbox.close()  # the queue's database is gone
    health = rig.console.health.snapshot()
    assert health.gpio.lights is None and "GPIODeviceClosed" in (health.gpio.error or "")
    assert health.queue.available is False
    assert health.camera is not None and health.camera.healthy  # the other parts still report


def test_the_printer_shows_only_when_the_booth_has_one(tmp_path):
    rig = make_rig(tmp_path)
    rig.console.passwords.set("staff", PASSWORD)
    login(rig.client)
    assert rig.client.get("/staff/api/live").get_json()["printer"] is None
    assert rig.client.get("/metrics").status_code == 200
    rig.console.close()
    rig.close()

    class Printer:
        def state(self) -> PrinterState:
            return PrinterState("sheet", True, "printing", 2)

    rig = make_rig(tmp_path / "with", printer=Printer())
    rig.console.passwords.set("staff", PASSWORD)
    login(rig.client)
    assert rig.client.get("/staff/api/live").get_json()["printer"] == {
        "printer": "sheet",
        "known": True,
        "state": "printing",
        "jobs": 2,
        "detail": "",
    }
    rig.console.close()
    rig.close()


def test_no_identity_while_a_student_is_at_the_booth(rig):
    from kiosk.booth import CodeSeen

    login(rig.client)
    rig.booth.post(CodeSeen("GOOD:2024001"))
    rig.booth.step()
    assert rig.booth.snapshot()["subject"]["name"] == "张**"
    rig.clock.advance(5)
    for path in ("/staff/api/live", "/staff/dashboard", "/metrics"):
        text = rig.client.get(path).get_data(as_text=True)
        assert "张" not in text.replace("这张", "") and "8746" not in text and "2024001" not in text, path


def test_a_student_sent_to_staff_shows_on_the_dashboard_while_the_booth_says_so(rig):
    """The booth tells a student in a blue top to ask staff; staff must hear it from the dashboard, not
    find out when the student walks over. The warning goes when the booth leaves that screen."""
    from kiosk.booth import Touch
    from kiosk.vision.messages import MESSAGES
    from kiosk.vision.report import CheckResult, Report
    from tests.helpers.booth_rig import confirm_and_start, show_code

    booth = rig.runtime.booth
    blue = CheckResult("clothing_not_blue", False, 0.9, MESSAGES["clothing_not_blue"]["blue"])
    booth.checker.check = lambda image: Report({blue.id: blue}, 5.0)
    login(rig.client)
    show_code(booth, "7")
    confirm_and_start(booth)
    booth.clock.advance(booth.settings.booth.countdown_s + 0.1)
    for _ in range(3):
        booth.step()
    assert booth.state.name == "review"
    warning = next(w for w in live(rig)["health"]["warnings"] if w["key"] == "staff_needed")
    assert warning["en"] == "A student at the booth needs staff: Top colour" and "上衣颜色" in warning["zh"]
    booth.post(Touch("cancel"))  # the student taps Finish and goes to find staff
    booth.step()
    assert "staff_needed" not in {w["key"] for w in live(rig)["health"]["warnings"]}
