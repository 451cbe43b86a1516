"""The booth's own records: sessions, captures and events, in SQLite (WAL, synchronous=FULL).

These rows feed staff statistics and the "already photographed today" check. They hold no photo and no
plain identity: the student's uid is stored only as a keyed hash (HMAC-SHA256), enough to recognise a
returning student the same day.

The hash key is a day key (``uid-keys/<date>.key``), and the keys of earlier days are deleted: uids are
short and guessable, so whoever holds a day's key can recover that day's uids by trying candidates.
A stolen SD card therefore gives away at most the uids of the day it was taken, never earlier days'
(their hashes still count distinct students for the statistics, but nothing can match them any more).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import sqlite3
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from kiosk.codes.subject import mask_idn, mask_name
from kiosk.core.capture import SubjectInfo
from kiosk.core.clock import Clock
from kiosk.core.files import atomic_write
from kiosk.storage import db
from kiosk.vision.report import Report

log = logging.getLogger(__name__)

MIGRATIONS = [
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        day TEXT NOT NULL,
        ended_at TEXT,
        uid_key TEXT NOT NULL,
        school TEXT NOT NULL,
        level TEXT NOT NULL,
        outcome TEXT
    );
    CREATE INDEX sessions_uid_day ON sessions(uid_key, day);
    CREATE TABLE captures (
        id TEXT PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id),
        attempt INTEGER NOT NULL,
        taken_at TEXT NOT NULL,
        passed INTEGER NOT NULL,
        accepted INTEGER NOT NULL DEFAULT 0,
        failed_checks TEXT NOT NULL,
        check_ms REAL NOT NULL
    );
    CREATE INDEX captures_session ON captures(session_id);
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE INDEX events_kind_at ON events(kind, at);
    """,
    # The staff console: imported batch schedules (local day and HH:MM times), captures voided by staff,
    # and the audit log of every staff action.
    """
    CREATE TABLE batches (
        id INTEGER PRIMARY KEY,
        day TEXT NOT NULL,
        starts TEXT NOT NULL,
        ends TEXT NOT NULL,
        unit TEXT NOT NULL,
        expected INTEGER NOT NULL,
        source TEXT NOT NULL,
        imported_at TEXT NOT NULL
    );
    CREATE INDEX batches_day ON batches(day, starts);
    CREATE TABLE voided_captures (
        capture_id TEXT PRIMARY KEY REFERENCES captures(id),
        voided_at TEXT NOT NULL,
        voided_by TEXT NOT NULL,
        reason TEXT NOT NULL,
        queue_outcome TEXT NOT NULL
    );
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        who TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        detail TEXT NOT NULL,
        remote TEXT NOT NULL
    );
    CREATE INDEX audit_log_at ON audit_log(at);
    """,
    # Checks that were unsure about a photo and asked the student instead of failing it, and those the
    # student answered "does not apply" (JSON lists of check ids; empty for older rows).
    """
    ALTER TABLE captures ADD COLUMN asked_checks TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE captures ADD COLUMN answered_checks TEXT NOT NULL DEFAULT '[]';
    """,
    # The masked name and ID number the student confirmed (张*, *****8746), so staff voiding a photo can
    # tell whose it is; never more than the student's own screen showed (empty for older rows).
    """
    ALTER TABLE sessions ADD COLUMN masked_name TEXT NOT NULL DEFAULT '';
    ALTER TABLE sessions ADD COLUMN masked_idn TEXT NOT NULL DEFAULT '';
    """,
]


class DayKeys:
    """One random uid-hashing key per local date, in ``folder`` (0700, files 0600); earlier days' keys
    are deleted as soon as a later day's key is made, so old hashes can no longer be matched."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._cache: tuple[str, bytes] | None = None
        self._lock = threading.Lock()

    def key_for(self, day: str) -> bytes:
        with self._lock:
            if self._cache is not None and self._cache[0] == day:
                return self._cache[1]
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            key = load_secret(self.folder / f"{day}.key")
            self._forget_before(day)
            self._cache = (day, key)
            return key

    def _forget_before(self, day: str) -> None:
        for path in self.folder.glob("*.key"):
            if path.stem < day:
                with contextlib.suppress(OSError):
                    path.unlink()


def load_secret(path: Path) -> bytes:
    """This kiosk's hashing secret, made on first use (0600)."""
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        key = secrets.token_bytes(32)
        atomic_write(path, key.hex().encode())
        return key


UID_KEYS_DIR = "uid-keys"
LEGACY_SECRET_FILE = "secret.key"


class BoothRecords:
    """Implements the booth's Records port on one SQLite file."""

    def __init__(self, path: Path, secret: bytes | DayKeys, clock: Clock) -> None:
        self.path = Path(path)
        self._secret = secret  # a fixed key (tests) or the day keys (a booth)
        self._clock = clock
        self._conn = db.connect(self.path, MIGRATIONS)
        self._lock = threading.Lock()
        os.chmod(self.path, 0o600)

    @classmethod
    def open(cls, data_dir: Path, clock: Clock) -> BoothRecords:
        # an older booth hashed every day's uids with one lasting secret: drop it, so they cannot be matched
        with contextlib.suppress(FileNotFoundError):
            (data_dir / LEGACY_SECRET_FILE).unlink()
        return cls(data_dir / "booth.sqlite", DayKeys(data_dir / UID_KEYS_DIR), clock)

    def close(self) -> None:
        self._conn.close()

    def uid_key(self, uid: str) -> str:
        secret = self._secret
        if isinstance(secret, DayKeys):
            secret = secret.key_for(self._now().date().isoformat())
        return hmac.new(secret, uid.encode(), hashlib.sha256).hexdigest()

    def _now(self) -> datetime:
        return self._clock.wall()

    def _write(self, sql: str, params: tuple[Any, ...]) -> int:
        with self._lock:
            cur = self._conn.execute(sql, params)
            return int(cur.lastrowid or 0)

    # -- Records port ----------------------------------------------------------------------------
    def start_session(self, subject: SubjectInfo) -> int:
        now = self._now()
        return self._write(
            "INSERT INTO sessions(started_at, day, uid_key, school, level, masked_name, masked_idn)"
            " VALUES (?,?,?,?,?,?,?)",
            (
                now.isoformat(),
                now.date().isoformat(),
                self.uid_key(subject.uid),
                subject.school,
                subject.level,
                mask_name(subject.name),
                mask_idn(subject.idn),
            ),
        )

    def end_session(self, session_id: int, outcome: str) -> None:
        self._write(
            "UPDATE sessions SET ended_at=?, outcome=? WHERE id=? AND ended_at IS NULL",
            (self._now().isoformat(), outcome, session_id),
        )

    def record_capture(self, session_id: int, capture_id: str, attempt: int, report: Report, accepted: bool) -> None:
        failed = [c.id for c in report.failures()]
        asked = [c.id for c in report.asked()] if report.passed else []
        self._write(
            "INSERT INTO captures(id, session_id, attempt, taken_at, passed, accepted, failed_checks, check_ms,"
            " asked_checks) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                capture_id,
                session_id,
                attempt,
                self._now().isoformat(),
                int(report.passed),
                int(accepted),
                json.dumps(failed),
                report.ms,
                json.dumps(asked),
            ),
        )

    def mark_accepted(self, capture_id: str) -> None:
        self._write("UPDATE captures SET accepted=1 WHERE id=?", (capture_id,))

    def record_answers(self, capture_id: str, answered: Sequence[str]) -> None:
        self._write("UPDATE captures SET answered_checks=? WHERE id=?", (json.dumps(list(answered)), capture_id))

    def unsettled_captures(self) -> list[tuple[str, int]]:
        """(capture id, session id) of passing captures not marked accepted: a crash may have queued them."""
        rows = self._conn.execute(
            "SELECT id, session_id FROM captures WHERE passed=1 AND accepted=0 ORDER BY taken_at"
        ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def settle_accepted(self, capture_id: str, session_id: int) -> None:
        """Mark a capture found in the queue after a crash as accepted and close its session, in one commit."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute("UPDATE captures SET accepted=1 WHERE id=?", (capture_id,))
                self._conn.execute(
                    "UPDATE sessions SET ended_at=?, outcome='accepted' WHERE id=? AND ended_at IS NULL",
                    (self._now().isoformat(), session_id),
                )
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def has_accepted_today(self, uid: str) -> bool:
        row = self._conn.execute(
            "SELECT 1 FROM captures c JOIN sessions s ON s.id = c.session_id"
            " WHERE s.uid_key=? AND s.day=? AND c.accepted=1 LIMIT 1",
            (self.uid_key(uid), self._now().date().isoformat()),
        ).fetchone()
        return row is not None

    def record_event(self, kind: str, detail: dict[str, Any] | None = None) -> None:
        """Count an event for staff statistics; on a full disk it is logged instead of stopping the booth."""
        try:
            self._write(
                "INSERT INTO events(at, kind, detail) VALUES (?,?,?)",
                (self._now().isoformat(), kind, json.dumps(detail or {}, ensure_ascii=False)),
            )
        except sqlite3.Error as exc:
            log.warning("event %s not recorded: %s", kind, exc)

    # -- reading, for staff and tests ------------------------------------------------------------
    def accepted_captures(self) -> list[dict[str, Any]]:
        rows = self._conn.execute(
            "SELECT c.id, c.attempt, c.taken_at, s.school, s.level FROM captures c"
            " JOIN sessions s ON s.id = c.session_id WHERE c.accepted=1 ORDER BY c.taken_at"
        ).fetchall()
        return [dict(r) for r in rows]

    def event_counts(self) -> dict[str, int]:
        rows = self._conn.execute("SELECT kind, COUNT(*) FROM events GROUP BY kind").fetchall()
        return {r[0]: r[1] for r in rows}
