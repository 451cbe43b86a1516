"""Staff see, per check, how often the booth asked instead of rejecting and how often students answered."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date

import pytest

from kiosk.staff.stats import day_report, load_day
from tests.helpers.metrics import one, scrape
from tests.helpers.staff import login, photograph, photograph_asked, staff_rig

DAY = date(2026, 6, 1)


@pytest.fixture
def rig(tmp_path):
    for rig in staff_rig(tmp_path):
        photograph_asked(rig.runtime, "1", ("jewellery",), answer=True)
        photograph_asked(rig.runtime, "2", ("jewellery", "heavy_makeup"), answer=True)
        photograph_asked(rig.runtime, "3", ("jewellery",), answer=False)  # walked away: asked, not answered
        photograph(rig.runtime, "4", [False, True])  # nothing asked
        yield rig


def test_questions_asked_and_answered_per_check(rig):
    report = day_report(load_day(rig.console.store, DAY), [], UTC)
    total = report.total
    assert total.asked == {"jewellery": 3, "heavy_makeup": 1}
    assert total.answered == {"heavy_makeup": 1, "jewellery": 2}
    assert total.rejections == {"glasses": 1}
    assert (total.students, total.accepted) == (4, 3)  # the unanswered photo was not kept


def test_statistics_page_and_csv_show_the_questions(rig):
    login(rig.client)
    html = rig.client.get("/staff/statistics?day=2026-06-01").get_data(as_text=True)
    assert 'id="questions"' in html
    jewellery = '<span class="zh">饰品</span> <span class="en">Jewellery</span>'  # checks in words, not ids
    makeup = '<span class="zh">浓妆</span> <span class="en">Heavy make-up</span>'
    assert f"<tr><td>{jewellery}</td><td>3</td><td>2</td></tr>" in html
    assert f"<tr><td>{makeup}</td><td>1</td><td>1</td></tr>" in html
    text = rig.client.get("/staff/statistics.csv?day=2026-06-01").get_data(as_text=True)
    (total,) = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))[:1]
    assert (total["asked:jewellery"], total["answered:jewellery"]) == ("3", "2")
    assert (total["asked:heavy_makeup"], total["answered:heavy_makeup"]) == ("1", "1")


def test_metrics_count_questions_per_check(rig):
    m = scrape(rig)
    assert one(m, "kiosk_questions_asked_today", check="jewellery") == 3
    assert one(m, "kiosk_questions_answered_today", check="jewellery") == 2
    assert one(m, "kiosk_questions_answered_today", check="heavy_makeup") == 1


def test_a_day_without_questions_says_so(tmp_path):
    for rig in staff_rig(tmp_path):
        photograph(rig.runtime, "1", [True])
        login(rig.client)
        html = rig.client.get("/staff/statistics?day=2026-06-01").get_data(as_text=True)
        assert 'id="questions"' not in html and "No questions asked" in html


def test_captures_page_marks_photos_whose_questions_were_answered(rig):
    login(rig.client)
    html = rig.client.get("/staff/captures").get_data(as_text=True)
    assert html.count('class="badge answered"') == 2  # students 1 and 2; 3 walked away, 4 was not asked
    assert "Student said does not apply</span>: <code>jewellery</code> <code>heavy_makeup</code>" in html
