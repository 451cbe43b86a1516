"""Batch progress: is the booth on pace to photograph the current batch before its slot ends?

The pace needed is the students still to come divided by the minutes left; the actual pace is the
students photographed so far divided by the minutes since the batch started. Both are students per
minute. "Photographed" means a student with an accepted (not voided) photo from a session that started in
the batch's window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk.staff.schedule import Batch
from kiosk.staff.stats import DayRecords, compute


@dataclass(frozen=True)
class BatchProgress:
    batch: Batch
    status: str  # "upcoming", "running" or "finished"
    captured: int
    expected: int
    minutes_elapsed: float
    minutes_left: float
    needed_per_min: float | None  # None once nobody is left to photograph, or the slot is over
    actual_per_min: float | None  # None before the batch starts

    @property
    def remaining(self) -> int:
        return max(0, self.expected - self.captured)

    @property
    def on_track(self) -> bool | None:
        if self.status != "running":
            return None
        if self.remaining == 0:
            return True
        if self.needed_per_min is None or self.actual_per_min is None:
            return None
        return self.actual_per_min >= self.needed_per_min

    def to_dict(self) -> dict[str, Any]:
        b = self.batch
        return {
            "day": b.day.isoformat(),
            "starts": f"{b.starts:%H:%M}",
            "ends": f"{b.ends:%H:%M}",
            "unit": b.unit,
            "status": self.status,
            "captured": self.captured,
            "expected": self.expected,
            "remaining": self.remaining,
            "percent": round(100 * self.captured / self.expected) if self.expected else None,
            "minutes_elapsed": round(self.minutes_elapsed, 1),
            "minutes_left": round(self.minutes_left, 1),
            "needed_per_min": None if self.needed_per_min is None else round(self.needed_per_min, 2),
            "actual_per_min": None if self.actual_per_min is None else round(self.actual_per_min, 2),
            "on_track": self.on_track,
        }


def batch_progress(batch: Batch, records: DayRecords, now: datetime) -> BatchProgress:
    start, end = batch.window(now.tzinfo)
    captured = compute(records.within(start, end)).students_accepted
    status = "upcoming" if now < start else "running" if now < end else "finished"
    elapsed = max(0.0, (min(now, end) - start).total_seconds() / 60)
    left = max(0.0, (end - now).total_seconds() / 60) if now >= start else (end - start).total_seconds() / 60
    remaining = max(0, batch.expected - captured)
    needed = None
    if status != "finished" and remaining > 0 and left > 0:
        needed = remaining / left
    actual = None if status == "upcoming" else captured / max(elapsed, 1.0)
    return BatchProgress(batch, status, captured, batch.expected, elapsed, left, needed, actual)


@dataclass(frozen=True)
class DayProgress:
    current: BatchProgress | None  # the batch whose slot is now
    upcoming: BatchProgress | None  # the next batch today
    finished: list[BatchProgress]  # today's past batches, latest first
    all: list[BatchProgress]

    def to_dict(self) -> dict[str, Any]:
        return {
            "current": self.current.to_dict() if self.current else None,
            "upcoming": self.upcoming.to_dict() if self.upcoming else None,
            "finished": [p.to_dict() for p in self.finished],
        }


def day_progress(batches: Sequence[Batch], records: DayRecords, now: datetime) -> DayProgress:
    every = [batch_progress(b, records, now) for b in batches]
    current = next((p for p in every if p.status == "running"), None)
    upcoming = next((p for p in every if p.status == "upcoming"), None)
    finished = [p for p in reversed(every) if p.status == "finished"]
    return DayProgress(current, upcoming, finished, every)
