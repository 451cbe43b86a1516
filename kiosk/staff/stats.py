"""Statistics for staff: how many students came, how many photos it took, why photos were rejected.

Read from the records (sessions and captures) of one local day; a batch's figures are those of the
sessions that started inside its time window (a session is one student, from scanning their code to
leaving the booth). Definitions, as the statistics page states them:

* captures: photos taken (every attempt); accepted: photos the student accepted and staff did not void;
* retakes per student: photos beyond the first, averaged over students who took at least one;
* rejection reasons: failed compliance checks by check id, over all rejected photos;
* questions asked and answered: a check that was unsure about a passing photo asked the student instead of
  rejecting it ("if you are wearing earrings ..."); asked counts those photos per check, answered counts
  the questions the student answered "does not apply" (the rest retook the photo or walked away);
* time to acceptance: from scanning the code (``sessions.started_at``) to the accepted photo being
  taken, as a median over accepted photos.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from kiosk.staff.schedule import Batch
from kiosk.staff.store import StaffStore


@dataclass(frozen=True)
class SessionRow:
    id: int
    started_at: datetime
    uid_key: str
    outcome: str | None


@dataclass(frozen=True)
class CaptureRow:
    id: str
    session_id: int
    attempt: int
    taken_at: datetime
    passed: bool
    accepted: bool
    failed_checks: tuple[str, ...]
    check_ms: float
    voided: bool
    asked: tuple[str, ...] = ()  # unsure checks that asked the student about this (passing) photo
    answered: tuple[str, ...] = ()  # the questions the student answered "does not apply"


@dataclass(frozen=True)
class DayRecords:
    """One local day's sessions and captures."""

    day: date
    sessions: list[SessionRow]
    captures: list[CaptureRow]

    def within(self, start: datetime, end: datetime) -> DayRecords:
        """The sessions that started in [start, end) and their captures."""
        sessions = [s for s in self.sessions if start <= s.started_at < end]
        ids = {s.id for s in sessions}
        return DayRecords(self.day, sessions, [c for c in self.captures if c.session_id in ids])

    def without(self, others: Iterable[DayRecords]) -> DayRecords:
        taken = {s.id for other in others for s in other.sessions}
        sessions = [s for s in self.sessions if s.id not in taken]
        ids = {s.id for s in sessions}
        return DayRecords(self.day, sessions, [c for c in self.captures if c.session_id in ids])


@dataclass(frozen=True)
class Stats:
    sessions: int = 0
    students: int = 0
    captures: int = 0
    accepted: int = 0
    voided: int = 0
    rejected: int = 0  # photos that failed the check
    students_accepted: int = 0
    retakes_per_student: float | None = None
    median_s_to_accept: float | None = None
    rejections: dict[str, int] = field(default_factory=dict)  # check id -> photos, most frequent first
    asked: dict[str, int] = field(default_factory=dict)  # check id -> photos it asked about, most first
    answered: dict[str, int] = field(default_factory=dict)  # check id -> questions answered "does not apply"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_day(store: StaffStore, day: date) -> DayRecords:
    sessions = [
        SessionRow(r["id"], datetime.fromisoformat(r["started_at"]), r["uid_key"], r["outcome"])
        for r in store.query(
            "SELECT id, started_at, uid_key, outcome FROM sessions WHERE day = ? ORDER BY started_at",
            (day.isoformat(),),
        )
    ]
    captures = [
        CaptureRow(
            r["id"],
            r["session_id"],
            r["attempt"],
            datetime.fromisoformat(r["taken_at"]),
            bool(r["passed"]),
            bool(r["accepted"]),
            tuple(json.loads(r["failed_checks"])),
            float(r["check_ms"]),
            r["voided"] is not None,
            tuple(json.loads(r["asked_checks"])),
            tuple(json.loads(r["answered_checks"])),
        )
        for r in store.query(
            "SELECT c.*, v.capture_id AS voided FROM captures c JOIN sessions s ON s.id = c.session_id"
            " LEFT JOIN voided_captures v ON v.capture_id = c.id WHERE s.day = ? ORDER BY c.taken_at",
            (day.isoformat(),),
        )
    ]
    return DayRecords(day, sessions, captures)


def compute(records: DayRecords) -> Stats:
    started = {s.id: s for s in records.sessions}
    shots_by_student: Counter[str] = Counter()
    rejections: Counter[str] = Counter()
    asked: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    waits: list[float] = []
    accepted_students: set[str] = set()
    for c in records.captures:
        session = started.get(c.session_id)
        if session is not None:
            shots_by_student[session.uid_key] += 1
        if not c.passed:
            rejections.update(c.failed_checks)
        asked.update(c.asked)
        answered.update(c.answered)
        if c.accepted and not c.voided and session is not None:
            accepted_students.add(session.uid_key)
            waits.append((c.taken_at - session.started_at).total_seconds())
    retakes = None
    if shots_by_student:
        retakes = round(sum(n - 1 for n in shots_by_student.values()) / len(shots_by_student), 2)
    return Stats(
        sessions=len(records.sessions),
        students=len({s.uid_key for s in records.sessions}),
        captures=len(records.captures),
        accepted=sum(1 for c in records.captures if c.accepted and not c.voided),
        voided=sum(1 for c in records.captures if c.voided),
        rejected=sum(1 for c in records.captures if not c.passed),
        students_accepted=len(accepted_students),
        retakes_per_student=retakes,
        median_s_to_accept=round(statistics.median(waits), 1) if waits else None,
        rejections=_most_first(rejections),
        asked=_most_first(asked),
        answered=_most_first(answered),
    )


def _most_first(counts: Counter[str]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


@dataclass(frozen=True)
class BatchStats:
    """A batch (None: sessions outside every batch) with its figures."""

    batch: Batch | None
    stats: Stats


@dataclass(frozen=True)
class DayReport:
    day: date
    total: Stats
    batches: list[BatchStats]


def day_report(records: DayRecords, batches: Sequence[Batch], tz: Any) -> DayReport:
    """The day's totals and each batch's figures; sessions outside every batch form their own row."""
    parts = []
    for batch in batches:
        start, end = batch.window(tz)
        parts.append((batch, records.within(start, end)))
    rest = records.without(p for _, p in parts)
    rows = [BatchStats(b, compute(p)) for b, p in parts]
    if rest.sessions or not batches:
        rows.append(BatchStats(None, compute(rest)))
    return DayReport(records.day, compute(records), rows)


CSV_COLUMNS = [
    "day",
    "batch",
    "start",
    "end",
    "unit",
    "expected",
    "students",
    "students_accepted",
    "captures",
    "accepted",
    "voided",
    "retakes_per_student",
    "median_seconds_to_accept",
]


def _safe(value: Any) -> Any:
    """Spreadsheet-safe text: a cell starting with = + - @ would be run as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def report_csv(report: DayReport) -> str:
    """The day as CSV (UTF-8 with BOM so Excel shows the Chinese): the total, then one row per batch,
    with one column per rejection reason and, for checks that asked the student, per question asked and
    answered."""
    reasons = sorted({r for row in report.batches for r in row.stats.rejections} | set(report.total.rejections))
    asked = sorted(report.total.asked)  # every batch's asked checks are in the day's total
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        CSV_COLUMNS
        + [f"rejected:{r}" for r in reasons]
        + [f"{kind}:{a}" for a in asked for kind in ("asked", "answered")]
    )

    def line(kind: str, batch: Batch | None, s: Stats) -> list[Any]:
        cells: list[Any] = [
            report.day.isoformat(),
            kind,
            f"{batch.starts:%H:%M}" if batch else "",
            f"{batch.ends:%H:%M}" if batch else "",
            batch.unit if batch else "",
            batch.expected if batch else "",
            s.students,
            s.students_accepted,
            s.captures,
            s.accepted,
            s.voided,
            "" if s.retakes_per_student is None else s.retakes_per_student,
            "" if s.median_s_to_accept is None else s.median_s_to_accept,
        ]
        questions = [getattr(s, kind).get(a, 0) for a in asked for kind in ("asked", "answered")]
        return [_safe(c) for c in cells + [s.rejections.get(r, 0) for r in reasons] + questions]

    writer.writerow(line("day total", None, report.total))
    for row in report.batches:
        writer.writerow(line("batch" if row.batch else "outside batches", row.batch, row.stats))
    return out.getvalue()
