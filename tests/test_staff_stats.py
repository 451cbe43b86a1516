"""Statistics, batch progress and the CSV export, from a real booth's records."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time

import pytest

from kiosk.staff.progress import batch_progress, day_progress
from kiosk.staff.schedule import Batch, batches_on, read_schedule, save_batches
from kiosk.staff.stats import CaptureRow, DayRecords, SessionRow, compute, day_report, load_day
from tests.helpers.staff import login, photograph, staff_rig

DAY = date(2026, 6, 1)
SCHEDULE = (
    "日期,开始时间,结束时间,学院,人数\n2026-06-01,09:00,10:00,计算机学院,4\n2026-06-01,10:00,11:00,=HYPERLINK(1),3\n"
)


@pytest.fixture
def rig(tmp_path):
    for rig in staff_rig(tmp_path):
        save_batches(rig.console.store, read_schedule(SCHEDULE.encode(), "s.csv"), "s.csv", rig.clock.wall())
        yield rig


def morning(rig):
    """Three students in the 09:00 batch (one, none and two retakes), one in the 10:00 batch."""
    photograph(rig.runtime, "1", [False, True], seconds=40)
    photograph(rig.runtime, "2", [True], seconds=20)
    photograph(rig.runtime, "3", [False, False, True], seconds=60)
    rig.clock.advance(65 * 60 - 120)  # 10:05
    photograph(rig.runtime, "4", [True], seconds=30)


def test_day_and_batch_statistics(rig):
    morning(rig)
    records = load_day(rig.console.store, DAY)
    report = day_report(records, batches_on(rig.console.store, DAY), UTC)
    total = report.total
    assert (total.students, total.captures, total.accepted, total.voided) == (4, 7, 4, 0)
    assert total.retakes_per_student == 0.75
    assert total.rejections == {"glasses": 3}
    first, second = report.batches
    assert first.batch.unit == "计算机学院" and second.batch.unit == "=HYPERLINK(1)"
    assert (first.stats.students, first.stats.captures, first.stats.students_accepted) == (3, 6, 3)
    assert first.stats.retakes_per_student == 1.0
    assert (second.stats.students, second.stats.captures) == (1, 1)
    # from scanning the code to the accepted photo: half the session plus a countdown or three
    assert first.stats.median_s_to_accept == pytest.approx(26.2, abs=0.5)


def test_statistics_page_and_csv_export(rig):
    morning(rig)
    client = rig.client
    login(client)
    html = client.get("/staff/statistics?day=2026-06-01").get_data(as_text=True)
    glasses = '<span class="zh">眼镜</span> <span class="en">Glasses</span>'  # the check in words, not its id
    assert 'id="total-accepted">4<' in html and glasses in html and "计算机学院" in html
    resp = client.get("/staff/statistics.csv?day=2026-06-01")
    assert resp.mimetype == "text/csv"
    assert 'filename="booth-01-2026-06-01.csv"' in resp.headers["Content-Disposition"]
    text = resp.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [r["batch"] for r in rows] == ["day total", "batch", "batch"]
    assert rows[0]["captures"] == "7" and rows[0]["rejected:glasses"] == "3"
    assert rows[1]["unit"] == "计算机学院" and rows[1]["expected"] == "4" and rows[1]["students_accepted"] == "3"
    assert rows[2]["unit"] == "'=HYPERLINK(1)"  # never a formula in a spreadsheet
    assert client.get("/staff/statistics?day=yesterday").status_code == 400
    empty = client.get("/staff/statistics.csv?day=2026-05-01").get_data(as_text=True)
    assert "outside batches" in empty


def test_pace_needed_versus_actual():
    batch = Batch(DAY, time(9, 0), time(10, 0), "文学院", 30)
    sessions, captures = [], []
    for i in range(10):
        at = datetime(2026, 6, 1, 9, i, tzinfo=UTC)
        sessions.append(SessionRow(i, at, f"u{i}", "accepted"))
        captures.append(CaptureRow(f"c{i}", i, 1, at, True, True, (), 5.0, False))
    records = DayRecords(DAY, sessions, captures)
    p = batch_progress(batch, records, datetime(2026, 6, 1, 9, 20, tzinfo=UTC))
    assert (p.status, p.captured, p.remaining) == ("running", 10, 20)
    assert p.actual_per_min == pytest.approx(0.5) and p.needed_per_min == pytest.approx(0.5)
    assert p.on_track is True
    late = batch_progress(batch, records, datetime(2026, 6, 1, 9, 40, tzinfo=UTC))
    assert late.needed_per_min == pytest.approx(1.0) and late.actual_per_min == pytest.approx(0.25)
    assert late.on_track is False
    before = batch_progress(batch, records, datetime(2026, 6, 1, 8, 0, tzinfo=UTC))
    assert before.status == "upcoming" and before.actual_per_min is None and before.minutes_left == 60
    after = batch_progress(batch, records, datetime(2026, 6, 1, 11, 0, tzinfo=UTC))
    assert after.status == "finished" and after.needed_per_min is None and after.to_dict()["percent"] == 33
    day = day_progress([batch], records, datetime(2026, 6, 1, 9, 20, tzinfo=UTC))
    assert day.current is not None and day.upcoming is None and day.finished == []


def test_voided_photos_do_not_count():
    at = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    records = DayRecords(
        DAY,
        [SessionRow(1, at, "u1", "accepted")],
        [CaptureRow("c1", 1, 1, at, True, False, (), 5.0, True)],
    )
    stats = compute(records)
    assert (stats.accepted, stats.voided, stats.students_accepted, stats.median_s_to_accept) == (0, 1, 0, None)


def test_dashboard_shows_current_batch_and_past_batches(rig):
    morning(rig)
    login(rig.client)
    data = rig.client.get("/staff/api/live").get_json()
    current = data["batches"]["current"]
    assert current["unit"] == "=HYPERLINK(1)" and current["captured"] == 1 and current["expected"] == 3
    assert current["status"] == "running" and current["remaining"] == 2
    assert current["needed_per_min"] == pytest.approx(2 / current["minutes_left"], abs=0.01)
    (past,) = data["batches"]["finished"]
    assert (past["unit"], past["captured"], past["expected"]) == ("计算机学院", 3, 4)
    assert data["today"]["accepted"] == 4
    html = rig.client.get("/staff/batches").get_data(as_text=True)
    assert "3 / 4" in html and "1 / 3" in html
