"""/metrics: Prometheus text that prometheus_client's own parser reads back, every name kiosk_ and documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kiosk.core.config import LightsSection
from kiosk.staff.health import SystemProbe
from kiosk.staff.schedule import read_schedule, save_batches
from tests.helpers.metrics import one, scrape
from tests.helpers.staff import GB, DiskUsage, fake_system, make_rig, photograph, photograph_asked

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture
def rig(tmp_path):
    rig = make_rig(tmp_path, probe=fake_system(tmp_path / "root", temp_c=61.0, throttled="0x50000"))
    yield rig
    rig.console.close()
    rig.close()


def test_metrics_parse_back_with_the_right_values(rig):
    schedule = "日期,开始时间,结束时间,学院,人数\n2026-06-01,09:00,10:00,计算机学院,4\n"
    save_batches(rig.console.store, read_schedule(schedule.encode(), "s.csv"), "s.csv", rig.clock.wall())
    photograph(rig.runtime, "1", [False, True])
    photograph(rig.runtime, "2", [True])
    m = scrape(rig)
    assert all(name.startswith("kiosk_") for name in m)
    assert one(m, "kiosk_up") == 1 and one(m, "kiosk_ready") == 1 and one(m, "kiosk_paused") == 0
    assert one(m, "kiosk_info", kiosk_id="booth-01", profile="chsi") == 1
    assert one(m, "kiosk_booth_state", state="idle") == 1 and one(m, "kiosk_booth_state", state="paused") == 0
    assert one(m, "kiosk_camera_healthy") == 1 and one(m, "kiosk_camera_fps") == 15
    assert one(m, "kiosk_camera_reopens_total") == 0
    assert one(m, "kiosk_light_level", light="key_light") == LightsSection().idle.key
    assert one(m, "kiosk_button_pressed") == 0 and one(m, "kiosk_model_loaded") == 1
    assert one(m, "kiosk_check_last_duration_seconds") == pytest.approx(0.005)
    assert one(m, "kiosk_disk_free_bytes") == 20 * 1024**3
    assert one(m, "kiosk_disk_min_free_bytes") == 500 * 1024**2
    assert one(m, "kiosk_cpu_temperature_celsius") == 61.0
    assert one(m, "kiosk_under_voltage") == 0 and one(m, "kiosk_throttled") == 0
    assert one(m, "kiosk_under_voltage_occurred") == 1 and one(m, "kiosk_throttled_occurred") == 1
    assert one(m, "kiosk_memory_available_bytes") == 2048000 * 1024
    assert one(m, "kiosk_clock_synchronised") == 1
    assert one(m, "kiosk_queue_entries", state="pending") == 2
    assert one(m, "kiosk_queue_entries", state="quarantined") == 0
    assert one(m, "kiosk_queue_oldest_pending_age_seconds") > 0
    assert one(m, "kiosk_students_today") == 2 and one(m, "kiosk_captures_today") == 3
    assert one(m, "kiosk_accepted_today") == 2 and one(m, "kiosk_voided_today") == 0
    assert one(m, "kiosk_rejections_today", check="glasses") == 1
    assert one(m, "kiosk_batch_running") == 1
    assert one(m, "kiosk_batch_expected") == 4 and one(m, "kiosk_batch_captured") == 2
    assert one(m, "kiosk_batch_needed_per_minute") > 0 and one(m, "kiosk_batch_actual_per_minute") == 2
    assert one(m, "kiosk_health_level") == 0


def test_stopped_camera_and_unknown_values(tmp_path):
    probe = SystemProbe(root=tmp_path / "nothing", run=lambda argv: None, disk_usage=lambda p: DiskUsage(GB, 0, GB))
    rig = make_rig(tmp_path, probe=probe)
    rig.stop_camera()
    m = scrape(rig)
    assert one(m, "kiosk_camera_healthy") == 0 and one(m, "kiosk_camera_frame_age_seconds") == 42
    assert one(m, "kiosk_ready") == 0 and one(m, "kiosk_health_level") == 2
    # no sensor, no command: left out, not reported as zero
    for name in (
        "kiosk_cpu_temperature_celsius",
        "kiosk_under_voltage",
        "kiosk_clock_synchronised",
        "kiosk_batch_expected",
    ):
        assert name not in m
    assert "kiosk_check_last_duration_seconds" not in m  # no check yet
    rig.console.close()
    rig.close()


def test_a_broken_health_read_still_answers(rig, monkeypatch):
    def boom():
        raise RuntimeError("database is locked")

    monkeypatch.setattr(rig.console.health, "snapshot", boom)
    m = scrape(rig)
    assert m == {"kiosk_up": {(): 0.0}}


def test_every_metric_is_documented_in_the_readme(rig):
    schedule = "日期,开始时间,结束时间,学院,人数\n2026-06-01,09:00,10:00,计算机学院,4\n"
    save_batches(rig.console.store, read_schedule(schedule.encode(), "s.csv"), "s.csv", rig.clock.wall())
    photograph(rig.runtime, "1", [False, True])
    photograph(rig.runtime, "2")
    photograph_asked(rig.runtime, "3", ("jewellery",), answer=True)
    outbox = rig.outbox
    outbox.mark_done(outbox.claim().capture_id)
    outbox.mark_retry(outbox.claim().capture_id, "centre unreachable")
    names = set(scrape(rig))
    section = README.read_text(encoding="utf-8").split("## Metrics", 1)[1]
    documented = set(re.findall(r"`(kiosk_[a-z_]+)`", section))
    assert names == documented - {"kiosk_id"}  # kiosk_id is a label of kiosk_info
