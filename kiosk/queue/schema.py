"""The queue's table (``outbox.sqlite``) and its rows.

Migrations follow :mod:`kiosk.storage.db`: each script moves the schema one version on and is never
edited once released, so a booth installed long ago is brought up to date at start-up.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from kiosk.queue.states import QueueState

MIGRATIONS = [
    """
    CREATE TABLE envelopes (
        capture_id TEXT PRIMARY KEY,
        state TEXT NOT NULL CHECK (state IN ('pending', 'uploading', 'done', 'quarantined')),
        kiosk_id TEXT NOT NULL,
        day TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL DEFAULT 0,
        last_error TEXT,
        last_error_at REAL,
        reason TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        done_at REAL,
        file_deleted_at REAL
    );
    CREATE INDEX envelopes_due ON envelopes (state, next_attempt_at, created_at);
    """,
    # 2: "voided" becomes a state of its own. Before, a capture staff withdrew was stored as 'done' with
    # the reason "voided: <why>", which read like a capture the centre had. SQLite cannot change a CHECK
    # constraint in place, so the table is copied; such rows move to 'voided' and keep <why> as reason.
    """
    CREATE TABLE envelopes_v2 (
        capture_id TEXT PRIMARY KEY,
        state TEXT NOT NULL CHECK (state IN ('pending', 'uploading', 'done', 'quarantined', 'voided')),
        kiosk_id TEXT NOT NULL,
        day TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL DEFAULT 0,
        last_error TEXT,
        last_error_at REAL,
        reason TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        done_at REAL,
        file_deleted_at REAL
    );
    INSERT INTO envelopes_v2 (capture_id, state, kiosk_id, day, sha256, size, attempts, next_attempt_at,
        last_error, last_error_at, reason, created_at, updated_at, done_at, file_deleted_at)
    SELECT capture_id,
        CASE WHEN state = 'done' AND substr(reason, 1, 8) = 'voided: ' THEN 'voided' ELSE state END,
        kiosk_id, day, sha256, size, attempts, next_attempt_at, last_error, last_error_at,
        CASE WHEN state = 'done' AND substr(reason, 1, 8) = 'voided: ' THEN substr(reason, 9) ELSE reason END,
        created_at, updated_at, done_at, file_deleted_at
    FROM envelopes;
    DROP TABLE envelopes;
    ALTER TABLE envelopes_v2 RENAME TO envelopes;
    CREATE INDEX envelopes_due ON envelopes (state, next_attempt_at, created_at);
    """,
]


@dataclass(frozen=True)
class Entry:
    """One row of the queue."""

    capture_id: str
    state: QueueState
    kiosk_id: str
    day: str  # the capture's local date, YYYY-MM-DD (part of the s3 key)
    sha256: str
    size: int
    attempts: int
    next_attempt_at: float
    last_error: str | None
    last_error_at: float | None
    reason: str | None  # why it is quarantined, or why staff voided it
    created_at: float
    updated_at: float
    done_at: float | None  # when it was settled for good: confirmed by the centre, or voided
    file_deleted_at: float | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Entry:
        values = {k: row[k] for k in row.keys()}  # noqa: SIM118 - sqlite3.Row needs keys()
        values["state"] = QueueState(values["state"])
        return cls(**values)
