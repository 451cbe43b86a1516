"""The staff console in plain words: labels instead of ids, local times, one verdict at the top, the
masked name beside each photo, batches not begun as "0 / N", memory and disk as used / total."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from kiosk.staff import labels
from kiosk.staff.schedule import read_schedule, save_batches
from kiosk.vision.checks import ORDER
from tests.helpers.staff import login, photograph, staff_rig

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def rig(tmp_path):
    yield from staff_rig(tmp_path)


def test_every_check_event_and_audit_action_has_words():
    source = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "kiosk").rglob("*.py"))
    events = set(re.findall(r'record_event\(\s*"([a-z_]+)"', source))
    actions = set(re.findall(r'audit\.record\(\s*[^,]+,\s*"([a-z_]+)"', source))
    assert events and actions
    assert not (events | actions) - set(labels.EVENTS), "give these a zh/en label in kiosk/staff/labels.py"
    assert not set(ORDER) - set(labels.CHECKS)


def test_statistics_name_the_checks_in_words(rig):
    photograph(rig.runtime, "1", [False, True])  # the scripted checker rejects for glasses, then passes
    login(rig.client)
    html = rig.client.get("/staff/statistics").get_data(as_text=True)
    assert "眼镜" in html and "Glasses" in html
    assert "<code>glasses</code>" not in html


def test_audit_log_speaks_plainly_in_local_time(rig):
    login(rig.client, password="wrong")
    login(rig.client)
    html = rig.client.get("/staff/audit").get_data(as_text=True)
    assert "登录失败" in html and "Sign-in failed" in html and "已锁定：否" in html and "locked: no" in html
    assert "login_failed" not in html and "False" not in html
    assert re.search(r">2026-06-01 09:00:\d\d<", html), "times are plain, without T or offset"
    assert "+00:00" not in html
    # A time stored in UTC (by the command line, say) is shown in the booth's own zone.
    beijing = timezone(timedelta(hours=8))
    assert labels.local_time("2026-06-01T01:00:00+00:00", beijing) == "2026-06-01 09:00:00"
    assert labels.local_time(datetime(2026, 6, 1, 1, 0, tzinfo=UTC), beijing, with_date=False) == "09:00:00"


def test_captures_show_the_masked_name_the_student_confirmed(rig):
    photograph(rig.runtime, "1")
    login(rig.client)
    html = rig.client.get("/staff/captures").get_data(as_text=True)
    assert "张**" in html and "*****8746" in html
    row = rig.console.store.query("SELECT masked_name, masked_idn FROM sessions")[0]
    assert (row["masked_name"], row["masked_idn"]) == ("张**", "*****8746")


def test_batches_not_begun_show_nought_of_expected(rig):
    schedule = "日期,开始时间,结束时间,学院,人数\n2026-06-03,09:00,12:00,外国语学院,150\n"
    save_batches(rig.console.store, read_schedule(schedule.encode(), "s.csv"), "s.csv", rig.clock.wall())
    login(rig.client)
    html = rig.client.get("/staff/batches").get_data(as_text=True)
    assert re.search(r"<td>0 / 150 <span", html), html[html.find("batch-list") :][:800]


def test_the_dashboard_gives_one_verdict_with_its_reason(rig):
    login(rig.client)
    live = rig.client.get("/staff/api/live").get_json()
    assert (live["verdict"]["level"], live["verdict"]["zh"], live["verdict"]["en"]) == ("ok", "正常", "OK")
    assert live["verdict"]["reasons"] == []
    memory = live["usage"]["memory"]
    assert memory["total_mb"] > memory["used_mb"] > 0 and 0 < memory["percent"] < 100
    disk = live["usage"]["disk"]
    assert disk["percent"] == round(100 * disk["used_mb"] / disk["total_mb"])
    assert live["lights"]["key_light"] == ["主灯", "Key light"]

    rig.stop_camera()
    rig.clock.advance(5)  # past the health cache
    live = rig.client.get("/staff/api/live").get_json()
    assert (live["verdict"]["level"], live["verdict"]["zh"]) == ("bad", "故障")
    assert any("camera" in r["en"] for r in live["verdict"]["reasons"])
    html = rig.client.get("/staff/dashboard").get_data(as_text=True)
    assert html.index('id="verdict"') < html.index('id="status"')  # the verdict comes first


def test_detail_text_reads_lists_and_queue_outcomes():
    zh, en = labels.detail_text({"queue": "already_sent", "checks": ["clothing_not_blue"], "locked": True})
    assert en == "upload queue: already sent: tell the centre; checks: Top colour; locked: yes"
    assert zh == "上传队列：已上传，需通知中心；检测项：上衣颜色；已锁定：是"
    assert labels.local_time("not a time", None) == "not a time"
    assert labels.share(1024, 4096) == {"used_mb": 1024, "total_mb": 4096, "percent": 25}
