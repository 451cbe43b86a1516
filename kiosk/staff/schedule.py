"""Batch schedules: the timetable a school publishes (which unit comes to the booth when, how many).

Schools publish these as spreadsheets in many small variations, so the reader is forgiving about form
and strict about content:

* CSV (UTF-8, with or without BOM, or GB18030 as Chinese Excel saves it; comma, tab or semicolon) and
  XLSX (the first sheet; read with openpyxl, after its zip directory is checked so that a small file
  cannot unpack to gigabytes: see ``XLSX_LIMITS``).
* The header row may follow a title row; columns are found by name, in Chinese or English: 日期/date,
  开始时间/start and 结束时间/end (or one 时间/time column holding "08:30-09:30"), 学院/单位/教学点/unit,
  人数/应到人数/expected. Other columns are ignored.
* A blank date repeats the date above (spreadsheets often merge the date cell over a day's rows);
  blank rows and a 合计/total row are skipped.
* Anything else that cannot be read stops the import with a message naming the row, as the
  spreadsheet numbers it, and nothing is saved. Batches of one day may not overlap.

Importing replaces the batches of every day the file covers and keeps other days.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from pathlib import Path
from typing import Any

from kiosk.core.ziplimits import ZipLimits, ZipTooLarge, check_zip
from kiosk.staff.store import StaffStore

MAX_BYTES = 5 * 1024 * 1024
# A schedule workbook is a few kilobytes of XML; these bounds stop a zip bomb before openpyxl inflates it.
XLSX_LIMITS = ZipLimits(
    max_members=200, max_member_bytes=16 * 1024 * 1024, max_total_bytes=32 * 1024 * 1024, max_ratio=200
)
MAX_ROWS = 5000
HEADER_SEARCH_ROWS = 10

ALIASES: dict[str, set[str]] = {
    "date": {"日期", "采集日期", "拍照日期", "拍摄日期", "date", "day"},
    "start": {"开始时间", "开始", "起始时间", "start", "starttime", "starts", "from", "begin"},
    "end": {"结束时间", "结束", "截止时间", "end", "endtime", "ends", "to", "until", "finish"},
    "time": {"时间", "时间段", "时段", "采集时间", "time", "timeslot", "slot", "period"},
    "unit": {
        "学院",
        "单位",
        "教学点",
        "院系",
        "学院/单位",
        "学院/教学点",
        "单位/教学点",
        "学院/单位/教学点",
        "unit",
        "college",
        "school",
        "site",
        "department",
        "faculty",
    },
    "expected": {
        "人数",
        "应到人数",
        "应采人数",
        "预计人数",
        "学生人数",
        "expected",
        "students",
        "count",
        "number",
        "expectedstudents",
    },
}
# Headers such as "学院名称" or "应到人数（人）": a Chinese keyword inside the name (checked in this order).
KEYWORDS: tuple[tuple[str, str], ...] = (
    ("开始", "start"),
    ("结束", "end"),
    ("截止", "end"),
    ("日期", "date"),
    ("人数", "expected"),
    ("学院", "unit"),
    ("单位", "unit"),
    ("教学点", "unit"),
    ("院系", "unit"),
)
LABELS = {
    "date": "日期/date",
    "start": "开始时间/start",
    "end": "结束时间/end",
    "time": "时间/time",
    "unit": "学院/unit",
    "expected": "人数/expected",
}
TOTAL_WORDS = {"合计", "总计", "小计", "total", "sum"}

_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_TIME = re.compile(r"^(\d{1,2})(?:\s*[:：点时]\s*(\d{1,2})?\s*分?)?(?:\s*[:：]\s*(\d{1,2}))?$")
_RANGE = re.compile(r"\s*(?:-|~|～|—|–|至|到)\s*")
_COUNT = re.compile(r"^(\d+)(?:\.0+)?\s*人?$")


class ScheduleError(ValueError):
    """A schedule that cannot be imported; each problem names its row."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        shown = "; ".join(self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(shown + more)


@dataclass(frozen=True)
class Batch:
    """One unit's slot at the booth: a local date, start and end times, and how many students to expect."""

    day: date
    starts: time
    ends: time
    unit: str
    expected: int
    row: int = 0  # the spreadsheet row it came from (0 when read from the database)
    id: int | None = None

    def window(self, tz: tzinfo | None) -> tuple[datetime, datetime]:
        """Start and end as aware datetimes in ``tz`` (the booth's local time zone)."""
        return datetime.combine(self.day, self.starts, tz), datetime.combine(self.day, self.ends, tz)

    def label(self) -> str:
        return f"{self.day.isoformat()} {self.starts:%H:%M}-{self.ends:%H:%M} {self.unit}"


@dataclass(frozen=True)
class ImportResult:
    batches: int
    days: list[str]
    replaced: int


# -- reading files ----------------------------------------------------------------------------------


def read_schedule(data: bytes, filename: str) -> list[Batch]:
    """The batches in a CSV or XLSX file's bytes; ScheduleError naming the row when something is wrong."""
    if len(data) > MAX_BYTES:
        raise ScheduleError([f"{filename}: larger than {MAX_BYTES // (1024 * 1024)} MB; is this a schedule?"])
    suffix = Path(filename).suffix.lower()
    if suffix == ".xlsx" or data[:4] == b"PK\x03\x04":
        rows = _xlsx_rows(data, filename)
    elif suffix in (".xls", ".et", ".ods"):
        raise ScheduleError([f"{filename}: save the sheet as .xlsx or .csv and import that"])
    else:
        rows = _csv_rows(data, filename)
    return parse_rows(rows)


def read_schedule_file(path: Path) -> list[Batch]:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ScheduleError([f"{path}: cannot read ({exc.strerror or exc})"]) from None
    return read_schedule(data, path.name)


def _csv_rows(data: bytes, filename: str) -> list[tuple[int, list[Any]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise ScheduleError([f"{filename}: not a text file (save it as CSV UTF-8)"])
    if "\x00" in text:
        raise ScheduleError([f"{filename}: not a CSV text file (save it as CSV UTF-8, or import the .xlsx)"])
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    rows = []
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text), dialect), start=1):
            rows.append((number, list(cells)))
            if number > MAX_ROWS:
                raise ScheduleError([f"{filename}: more than {MAX_ROWS} rows; is this a schedule?"])
    except csv.Error as exc:
        raise ScheduleError([f"{filename}: row {len(rows) + 1}: not valid CSV ({exc})"]) from None
    return rows


def _xlsx_rows(data: bytes, filename: str) -> list[tuple[int, list[Any]]]:
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        check_zip(data, XLSX_LIMITS)
    except ZipTooLarge as exc:
        raise ScheduleError([f"{filename}: {exc}; is this a schedule?"]) from None
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ScheduleError([f"{filename}: not a readable .xlsx workbook ({exc})"]) from None
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise ScheduleError([f"{filename}: not a readable .xlsx workbook ({exc})"]) from None
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            rows.append((number, list(cells)))
            if number > MAX_ROWS:
                raise ScheduleError([f"{filename}: more than {MAX_ROWS} rows; is this a schedule?"])
        return rows
    except ScheduleError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError) as exc:  # a part that lied about its size
        raise ScheduleError([f"{filename}: not a readable .xlsx workbook ({exc})"]) from None
    finally:
        workbook.close()


# -- understanding rows -----------------------------------------------------------------------------


def _norm(header: Any) -> str:
    text = "" if header is None else str(header)
    text = re.sub(r"[（(].*?[)）]", "", text)  # "人数（人）", "Expected (students)"
    return re.sub(r"[\s_*\-:：]", "", text).lower()


def header_field(header: Any) -> str | None:
    name = _norm(header)
    if not name:
        return None
    for key, names in ALIASES.items():
        if name in names:
            return key
    for word, key in KEYWORDS:
        if word in name:
            return key
    return None


def _columns(cells: Sequence[Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = header_field(cell)
        if key is not None and key not in found:
            found[key] = index
    return found


def _missing(columns: dict[str, int]) -> list[str]:
    need = ["date", "unit", "expected"]
    if "time" not in columns:
        need[1:1] = ["start", "end"]
    return [LABELS[k] for k in need if k not in columns]


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def parse_rows(rows: Sequence[tuple[int, Sequence[Any]]]) -> list[Batch]:
    """Find the header among the first rows, then read each data row into a Batch."""
    data_rows = [(n, cells) for n, cells in rows if not all(_blank(c) for c in cells)]
    if not data_rows:
        raise ScheduleError(["the file holds no rows"])
    header_at = None
    best: tuple[int, dict[str, int]] = (data_rows[0][0], {})
    for position, (number, cells) in enumerate(data_rows[:HEADER_SEARCH_ROWS]):
        columns = _columns(cells)
        if not _missing(columns):
            header_at = position
            best = (number, columns)
            break
        if len(columns) > len(best[1]):
            best = (number, columns)
    if header_at is None:
        number, columns = best
        raise ScheduleError(
            [f"row {number}: no header row with the columns {', '.join(_missing(columns))} in the first rows"]
        )
    columns = best[1]
    batches: list[Batch] = []
    problems: list[str] = []
    last_day: date | None = None
    for number, cells in data_rows[header_at + 1 :]:
        try:
            batch = _row(number, cells, columns, last_day)
        except ValueError as exc:
            problems.append(f"row {number}: {exc}")
            continue
        if batch is not None:
            batches.append(batch)
            last_day = batch.day
    problems.extend(_overlaps(batches))
    if problems:
        raise ScheduleError(problems)
    if not batches:
        raise ScheduleError([f"row {best[0]}: the header is there but no batch follows it"])
    return sorted(batches, key=lambda b: (b.day, b.starts))


def _cell(cells: Sequence[Any], columns: dict[str, int], key: str) -> Any:
    index = columns.get(key)
    return cells[index] if index is not None and index < len(cells) else None


def _row(number: int, cells: Sequence[Any], columns: dict[str, int], last_day: date | None) -> Batch | None:
    raw_unit = _cell(cells, columns, "unit")
    raw_day = _cell(cells, columns, "date")
    unit = "" if raw_unit is None else str(raw_unit).strip()
    if any(isinstance(c, str) and _norm(c) in TOTAL_WORDS for c in cells):
        return None  # a 合计/total row
    if _blank(raw_day):
        if last_day is None:
            raise ValueError(f"{LABELS['date']} is empty")
        day = last_day
    else:
        day = parse_date(raw_day)
    if "time" in columns and ("start" not in columns or _blank(_cell(cells, columns, "start"))):
        starts, ends = parse_range(_cell(cells, columns, "time"))
    else:
        starts = parse_time(_cell(cells, columns, "start"), LABELS["start"])
        ends = parse_time(_cell(cells, columns, "end"), LABELS["end"])
    if ends <= starts:
        raise ValueError(f"{LABELS['end']} {ends:%H:%M} is not after {LABELS['start']} {starts:%H:%M}")
    if not unit:
        raise ValueError(f"{LABELS['unit']} is empty")
    if len(unit) > 100:
        raise ValueError(f"{LABELS['unit']} is longer than 100 characters")
    expected = parse_count(_cell(cells, columns, "expected"))
    return Batch(day, starts, ends, unit, expected, number)


def parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = _DATE.match(str(value))
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    raise ValueError(f"{LABELS['date']} {str(value).strip()!r} is not a date like 2026-06-01 or 2026年6月1日")


def parse_time(value: Any, label: str) -> time:
    if isinstance(value, datetime):
        return value.time().replace(second=0, microsecond=0)
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    if _blank(value):
        raise ValueError(f"{label} is empty")
    text = str(value).strip()
    afternoon = False
    for word in ("下午", "晚上", "中午", "pm", "PM", "p.m."):
        if word in text:
            afternoon = True
            text = text.replace(word, "")
    for word in ("上午", "早上", "am", "AM", "a.m."):
        text = text.replace(word, "")
    match = _TIME.match(text.strip())
    if match:
        hour, minute = int(match[1]), int(match[2] or 0)
        if afternoon and hour < 12:
            hour += 12
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise ValueError(f"{label} {str(value).strip()!r} is not a time like 08:30")


def parse_range(value: Any) -> tuple[time, time]:
    if _blank(value):
        raise ValueError(f"{LABELS['time']} is empty")
    parts = _RANGE.split(str(value).strip())
    if len(parts) != 2:
        raise ValueError(f"{LABELS['time']} {str(value).strip()!r} is not a time range like 08:30-09:30")
    return parse_time(parts[0], LABELS["start"]), parse_time(parts[1], LABELS["end"])


def parse_count(value: Any) -> int:
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, int):
        count = value
    elif isinstance(value, float) and value.is_integer():
        count = int(value)
    else:
        match = _COUNT.match("" if value is None else str(value).strip())
        if not match:
            shown = "" if value is None else str(value).strip()
            raise ValueError(f"{LABELS['expected']} {shown!r} is not a whole number of students")
        count = int(match[1])
    if not 1 <= count <= 100_000:
        raise ValueError(f"{LABELS['expected']} {count} is not between 1 and 100000")
    return count


def _overlaps(batches: Iterable[Batch]) -> list[str]:
    problems = []
    ordered = sorted(batches, key=lambda b: (b.day, b.starts))
    for before, after in zip(ordered, ordered[1:], strict=False):
        if before.day == after.day and after.starts < before.ends:
            first, second = sorted((before, after), key=lambda b: b.row)
            problems.append(
                f"row {second.row}: {second.starts:%H:%M}-{second.ends:%H:%M} overlaps row {first.row} "
                f"({first.starts:%H:%M}-{first.ends:%H:%M}) on {after.day.isoformat()}; one booth serves "
                "one batch at a time (merge the rows into one)"
            )
    return problems


# -- the batches table ------------------------------------------------------------------------------


def save_batches(store: StaffStore, batches: Sequence[Batch], source: str, now: datetime) -> ImportResult:
    """Replace the batches of every day in ``batches`` with them, in one transaction."""
    days = sorted({b.day.isoformat() for b in batches})
    marks = ",".join("?" for _ in days)
    with store.tx() as db:
        cur = db.execute(f"DELETE FROM batches WHERE day IN ({marks})", tuple(days))
        replaced = cur.rowcount
        db.executemany(
            "INSERT INTO batches(day, starts, ends, unit, expected, source, imported_at) VALUES (?,?,?,?,?,?,?)",
            [
                (
                    b.day.isoformat(),
                    f"{b.starts:%H:%M}",
                    f"{b.ends:%H:%M}",
                    b.unit,
                    b.expected,
                    source[:200],
                    now.isoformat(timespec="seconds"),
                )
                for b in batches
            ],
        )
    return ImportResult(len(batches), days, replaced)


def _from_row(row: Any) -> Batch:
    return Batch(
        date.fromisoformat(row["day"]),
        time.fromisoformat(row["starts"]),
        time.fromisoformat(row["ends"]),
        row["unit"],
        int(row["expected"]),
        id=int(row["id"]),
    )


def batches_on(store: StaffStore, day: date) -> list[Batch]:
    rows = store.query("SELECT * FROM batches WHERE day = ? ORDER BY starts", (day.isoformat(),))
    return [_from_row(r) for r in rows]


def batches_between(store: StaffStore, first: date, last: date) -> list[Batch]:
    rows = store.query(
        "SELECT * FROM batches WHERE day BETWEEN ? AND ? ORDER BY day, starts", (first.isoformat(), last.isoformat())
    )
    return [_from_row(r) for r in rows]
