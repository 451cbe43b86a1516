"""Batch schedules as schools publish them: CSV and XLSX, Chinese or English headers, clear row errors."""

from __future__ import annotations

import io
from datetime import date, datetime, time

import pytest
from openpyxl import Workbook

from kiosk.cli import main
from kiosk.staff.schedule import (
    ScheduleError,
    batches_between,
    batches_on,
    read_schedule,
    read_schedule_file,
    save_batches,
)
from kiosk.staff.store import StaffStore
from tests.helpers.staff import csrf_from, login, make_rig

GOOD_CSV = """2026届毕业生学历照片采集安排
日期,开始时间,结束时间,学院/单位/教学点,应到人数,备注
2026-06-01,08:30,09:30,计算机学院,120,
,09:30,10:45,外国语学院,85人,带学生证
2026/6/2,下午2:00,15:00,城南教学点,40,
合计,,,,245,
"""


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    workbook.save(buf)
    return buf.getvalue()


def test_csv_with_chinese_headers_title_row_blank_date_and_total():
    batches = read_schedule(GOOD_CSV.encode("utf-8"), "安排.csv")
    assert [(b.day, b.starts, b.ends, b.unit, b.expected, b.row) for b in batches] == [
        (date(2026, 6, 1), time(8, 30), time(9, 30), "计算机学院", 120, 3),
        (date(2026, 6, 1), time(9, 30), time(10, 45), "外国语学院", 85, 4),
        (date(2026, 6, 2), time(14, 0), time(15, 0), "城南教学点", 40, 5),
    ]


def test_csv_in_gb18030_with_bom_less_excel_export_and_time_ranges():
    text = "日期,时间段,单位,人数\r\n2026年6月3日,8:00-9:00,法学院,30\r\n2026年6月3日,9点～10点半,医学院,25\r\n"
    with pytest.raises(ScheduleError, match=r"row 3: 结束时间/end '10点半'"):
        read_schedule(text.encode("gb18030"), "s.csv")
    text = text.replace("10点半", "10:30")
    batches = read_schedule(text.encode("gb18030"), "s.csv")
    assert [(b.starts, b.ends, b.unit) for b in batches] == [
        (time(8, 0), time(9, 0), "法学院"),
        (time(9, 0), time(10, 30), "医学院"),
    ]


def test_csv_with_english_headers_and_semicolons():
    text = "Date;Start time;End time;College;Expected students\n2026-06-04;13:00;14:00;School of Physics;50\n"
    (batch,) = read_schedule(text.encode(), "s.csv")
    assert (batch.unit, batch.expected, batch.starts) == ("School of Physics", 50, time(13, 0))


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("2026-06-31,08:30,09:30,理学院,10", "row 3: 日期/date '2026-06-31' is not a date"),
        ("2026-06-01,8:30,,理学院,10", "row 3: 结束时间/end is empty"),
        ("2026-06-01,09:30,08:30,理学院,10", "row 3: 结束时间/end 08:30 is not after 开始时间/start 09:30"),
        ("2026-06-01,08:30,09:30,,10", "row 3: 学院/unit is empty"),
        ("2026-06-01,08:30,09:30,理学院,十个", "row 3: 人数/expected '十个' is not a whole number"),
        ("2026-06-01,08:30,09:30,理学院,0", "row 3: 人数/expected 0 is not between 1 and 100000"),
        ("2026-06-01,8点70,09:30,理学院,10", "row 3: 开始时间/start '8点70' is not a time"),
    ],
)
def test_broken_csv_names_the_row(row, message):
    text = f"日期,开始时间,结束时间,学院,人数\n2026-06-01,07:00,08:00,文学院,20\n{row}\n"
    with pytest.raises(ScheduleError) as err:
        read_schedule(text.encode(), "s.csv")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_every_broken_row_is_listed_and_overlaps_are_refused():
    text = (
        "日期,开始时间,结束时间,学院,人数\n"
        "2026-06-01,08:00,09:00,文学院,20\n"
        "2026-06-01,08:30,09:30,理学院,20\n"
        "2026-06-01,10:00,11:00,工学院,x\n"
    )
    with pytest.raises(ScheduleError) as err:
        read_schedule(text.encode(), "s.csv")
    assert err.value.problems[0].startswith("row 4: 人数/expected 'x'")
    assert err.value.problems[1].startswith("row 3: 08:30-09:30 overlaps row 2 (08:00-09:00)")


def test_missing_columns_are_named():
    with pytest.raises(ScheduleError, match=r"row 1: no header row with the columns 结束时间/end, 人数/expected"):
        read_schedule("日期,开始时间,学院\n2026-06-01,08:00,文学院\n".encode(), "s.csv")
    with pytest.raises(ScheduleError, match="no rows"):
        read_schedule(b"\n\n", "s.csv")


def test_xlsx_with_typed_cells(tmp_path):
    data = xlsx_bytes(
        [
            ["毕业照采集批次"],
            ["日期", "开始时间", "结束时间", "教学点", "人数"],
            [datetime(2026, 6, 1), time(8, 30), time(9, 30), "东校区", 60],
            [None, "10:00", "11:00", "西校区", 45.0],
        ]
    )
    path = tmp_path / "batches.xlsx"
    path.write_bytes(data)
    batches = read_schedule_file(path)
    assert [(b.day, b.starts, b.ends, b.unit, b.expected, b.row) for b in batches] == [
        (date(2026, 6, 1), time(8, 30), time(9, 30), "东校区", 60, 3),
        (date(2026, 6, 1), time(10, 0), time(11, 0), "西校区", 45, 4),
    ]


def test_broken_xlsx_names_the_row():
    data = xlsx_bytes(
        [
            ["日期", "开始时间", "结束时间", "学院", "应到人数"],
            [datetime(2026, 6, 1), time(8, 30), time(9, 30), "东校区", 60],
            [datetime(2026, 6, 1), time(10, 0), time(11, 0), "西校区", "about 40"],
        ]
    )
    with pytest.raises(ScheduleError, match=r"^row 3: 人数/expected 'about 40' is not a whole number"):
        read_schedule(data, "b.xlsx")


def test_files_that_are_not_schedules():
    with pytest.raises(ScheduleError, match="not a readable .xlsx workbook"):
        read_schedule(b"PK\x03\x04 not really a zip", "b.xlsx")
    with pytest.raises(ScheduleError, match="save the sheet as .xlsx or .csv"):
        read_schedule(b"\xd0\xcf\x11\xe0", "old.xls")
    with pytest.raises(ScheduleError, match="cannot read"):
        read_schedule_file(__import__("pathlib").Path("/nonexistent/s.csv"))


def test_saving_replaces_only_the_days_in_the_file(tmp_path):
    with StaffStore(tmp_path / "booth.sqlite") as store:
        now = datetime(2026, 5, 30, 12, 0)
        first = save_batches(store, read_schedule(GOOD_CSV.encode(), "a.csv"), "a.csv", now)
        assert (first.batches, first.days, first.replaced) == (3, ["2026-06-01", "2026-06-02"], 0)
        again = "日期,开始时间,结束时间,学院,人数\n2026-06-01,08:00,12:00,全体,300\n"
        second = save_batches(store, read_schedule(again.encode(), "b.csv"), "b.csv", now)
        assert second.replaced == 2
        assert [(b.unit, b.expected) for b in batches_on(store, date(2026, 6, 1))] == [("全体", 300)]
        assert len(batches_between(store, date(2026, 6, 1), date(2026, 6, 2))) == 2


def test_cli_imports_a_schedule_and_reports_a_broken_one(tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    data = tmp_path / "data"
    assert main(["schedule", "import", str(good), "--data", str(data)]) == 0
    assert "imported 3 batches for 2026-06-01, 2026-06-02" in capsys.readouterr().out
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(
        xlsx_bytes([["日期", "开始时间", "结束时间", "学院", "人数"], ["明天", "8:00", "9:00", "文学院", 3]])
    )
    assert main(["schedule", "import", str(bad), "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kiosk: bad.xlsx: row 2: 日期/date '明天' is not a date") and err.count("\n") == 1
    with StaffStore(data / "booth.sqlite") as store:
        assert len(batches_on(store, date(2026, 6, 1))) == 2
        actions = [r["action"] for r in store.query("SELECT action FROM audit_log ORDER BY id")]
    assert actions == ["schedule_import", "schedule_import_failed"]


def test_import_from_the_batches_page(tmp_path):
    rig = make_rig(tmp_path)
    rig.console.passwords.set("staff", "correct horse battery")
    client = rig.client
    login(client)
    token = csrf_from(client.get("/staff/batches").get_data(as_text=True))
    resp = client.post(
        "/staff/batches/import",
        data={"csrf_token": token, "schedule": (io.BytesIO(GOOD_CSV.encode()), "安排.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    html = resp.get_data(as_text=True)
    assert "Imported 3 batches" in html and "计算机学院" in html and "外国语学院" in html
    bad = GOOD_CSV.replace("85人", "many")
    resp = client.post(
        "/staff/batches/import",
        data={"csrf_token": token, "schedule": (io.BytesIO(bad.encode()), "bad.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "row 4: 人数/expected &#39;many&#39; is not a whole number" in resp.get_data(as_text=True)
    entry = rig.console.audit.entries()[0]
    assert (entry.who, entry.action, entry.target) == ("staff", "schedule_import_failed", "bad.csv")
    rig.console.close()
    rig.close()


def _inflate_member(data: bytes, name: str, size: int) -> bytes:
    """``data`` (an xlsx) with ``name`` replaced by ``size`` bytes of repetitive XML: a small zip bomb."""
    import zipfile

    unit = b"<si><t>" + b"A" * 200 + b"</t></si>"
    body = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + unit * (size // len(unit))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != name:
                dst.writestr(info, src.read(info))
        dst.writestr(name, body + b"</sst>", compresslevel=9)
    return out.getvalue()


def test_an_xlsx_bomb_is_refused_before_it_is_inflated(tmp_path):
    """A small workbook whose shared strings unpack to 40 MB is refused from its zip directory alone."""
    good = xlsx_bytes([["日期", "开始时间", "结束时间", "学院", "人数"], ["2026-06-01", "8:00", "9:00", "文学院", 3]])
    bomb = _inflate_member(good, "xl/sharedStrings.xml", 40 * 1024 * 1024)
    assert len(bomb) < 400 * 1024
    with pytest.raises(ScheduleError, match="unpacks to|inflates"):
        read_schedule(bomb, "bomb.xlsx")
    data = tmp_path / "data"
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(bomb)
    assert main(["schedule", "import", str(path), "--data", str(data)]) == 2
