"""Voiding a capture: staff withdraw an accepted photo (the wrong student, a photo that slipped through).

What happens, in this order:

1. The upload queue is told (``Outbox.void``): a photo still waiting there is withdrawn and will never be
   sent; one already sent (or being sent) stays with the centre, and the result says so, so staff know
   to tell the centre.
2. The records mark it: a ``voided_captures`` row (when, who, why, what the queue said) and the
   capture's ``accepted`` flag cleared, so statistics no longer count it and the student may take a
   new photo the same day.

The queue goes first because stopping the upload is what matters; a crash between the two steps
leaves a withdrawn upload with the records still counting it, and voiding again finishes the job.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from kiosk.staff.store import StaffStore

MIN_REASON = 3
MAX_REASON = 200


class VoidError(ValueError):
    """A capture that cannot be voided as asked; phrased for staff."""


@dataclass(frozen=True)
class VoidResult:
    capture_id: str
    queue: str  # "withdrawn", "already_sent", "not_queued" or "no_queue"


@dataclass(frozen=True)
class CaptureSummary:
    """An accepted or voided capture as the dashboard lists it (no identity: the records hold none)."""

    id: str
    taken_at: datetime
    attempt: int
    school: str
    level: str
    voided: bool
    void_reason: str | None
    name: str = ""  # masked, as the student confirmed it (张*)
    idn: str = ""  # masked (*****8746)
    answered: tuple[str, ...] = ()  # checks the student said do not apply when the booth asked

    @property
    def short_id(self) -> str:
        return self.id[:8]


def recent_captures(store: StaffStore, day: date, limit: int = 30) -> list[CaptureSummary]:
    rows = store.query(
        "SELECT c.id, c.taken_at, c.attempt, s.school, s.level, s.masked_name, s.masked_idn,"
        " c.answered_checks, v.reason AS void_reason,"
        " v.capture_id IS NOT NULL AS voided FROM captures c JOIN sessions s ON s.id = c.session_id"
        " LEFT JOIN voided_captures v ON v.capture_id = c.id"
        " WHERE s.day = ? AND (c.accepted = 1 OR v.capture_id IS NOT NULL) ORDER BY c.rowid DESC LIMIT ?",
        (day.isoformat(), limit),
    )
    return [
        CaptureSummary(
            r["id"],
            datetime.fromisoformat(r["taken_at"]),
            r["attempt"],
            r["school"],
            r["level"],
            bool(r["voided"]),
            r["void_reason"],
            r["masked_name"],
            r["masked_idn"],
            tuple(json.loads(r["answered_checks"])),
        )
        for r in rows
    ]


def void_capture(store: StaffStore, outbox: Any, capture_id: str, reason: str, who: str, now: datetime) -> VoidResult:
    reason = " ".join(reason.split())
    if not MIN_REASON <= len(reason) <= MAX_REASON:
        raise VoidError(f"give a reason of {MIN_REASON} to {MAX_REASON} characters")
    rows = store.query(
        "SELECT c.accepted, v.capture_id AS voided FROM captures c"
        " LEFT JOIN voided_captures v ON v.capture_id = c.id WHERE c.id = ?",
        (capture_id,),
    )
    if not rows:
        raise VoidError(f"no capture {capture_id} in the records")
    if rows[0]["voided"] is not None:
        raise VoidError(f"capture {capture_id} is already voided")
    if not rows[0]["accepted"]:
        raise VoidError(f"capture {capture_id} was not accepted; there is nothing to void")
    queue = "no_queue" if outbox is None else outbox.void(capture_id, reason)
    with store.tx() as db:
        db.execute(
            "INSERT INTO voided_captures(capture_id, voided_at, voided_by, reason, queue_outcome) VALUES (?,?,?,?,?)",
            (capture_id, now.isoformat(timespec="seconds"), who, reason, queue),
        )
        db.execute("UPDATE captures SET accepted = 0 WHERE id = ?", (capture_id,))
    return VoidResult(capture_id, queue)
