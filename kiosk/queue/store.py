"""The durable table of the queue: add a row, claim the next due one, settle it, read rows back.

Every state change goes through :meth:`QueueStore.move`, inside one ``BEGIN IMMEDIATE`` transaction
that reads the row's state, checks the move against :mod:`kiosk.queue.states` and writes it; so the
booth, the uploader and the staff console (separate processes on one database) cannot interleave
between the check and the write. Nothing here touches the envelope files.
"""

from __future__ import annotations

import contextlib
import logging
import random
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Any

from kiosk.queue.backoff import Backoff
from kiosk.queue.schema import Entry
from kiosk.queue.states import QueueState, check_transition, sources_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewRow:
    """What a new row records about its envelope."""

    capture_id: str
    kiosk_id: str
    day: str
    sha256: str
    size: int
    state: QueueState = QueueState.PENDING
    reason: str | None = None
    created_at: float | None = None  # default: now


class QueueStore:
    """The ``envelopes`` table of one open queue database.

    The lock keeps threads of one process (the booth's web server) from interleaving on the shared
    connection; other processes are kept apart by SQLite itself.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        clock: Callable[[], float],
        backoff: Backoff | None = None,
        rng: random.Random | None = None,
        lock: threading.RLock | None = None,
    ) -> None:
        self.conn = conn
        self.backoff = backoff or Backoff()
        self._clock = clock
        self._rng = rng or random.Random()
        self._lock = lock or threading.RLock()

    def close(self) -> None:
        self.conn.close()

    def now(self) -> float:
        """Wall-clock seconds as the queue records them (persisted, so not monotonic)."""
        return self._clock()

    @contextlib.contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; IMMEDIATE so the booth and the uploader never deadlock on upgrade."""
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self.conn.execute(sql, params).fetchall()

    # --- reading ----------------------------------------------------------------------------------

    def get(self, capture_id: str) -> Entry | None:
        rows = self.query("SELECT * FROM envelopes WHERE capture_id = ?", (capture_id,))
        return Entry.from_row(rows[0]) if rows else None

    def entries(self, *states: QueueState | str) -> list[Entry]:
        """Rows in any of ``states`` (every row when none is named), oldest first."""
        wanted = tuple(QueueState(s).value for s in (states or tuple(QueueState)))
        marks = ",".join("?" for _ in wanted)
        rows = self.query(f"SELECT * FROM envelopes WHERE state IN ({marks}) ORDER BY created_at", wanted)
        return [Entry.from_row(r) for r in rows]

    def counts(self) -> dict[QueueState, int]:
        counts = dict.fromkeys(QueueState, 0)
        for row in self.query("SELECT state, COUNT(*) AS n FROM envelopes GROUP BY state"):
            counts[QueueState(row["state"])] = row["n"]
        return counts

    def next_due_at(self) -> float | None:
        return self.query("SELECT MIN(next_attempt_at) FROM envelopes WHERE state = ?", (QueueState.PENDING,))[0][0]

    # --- adding and moving rows -------------------------------------------------------------------

    def insert(self, row: NewRow) -> bool:
        """Add a row (a capture already queued is left alone); True when it was added."""
        check_transition(None, row.state, row.capture_id)
        now = self._clock()
        created = now if row.created_at is None else row.created_at
        with self.tx() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO envelopes (capture_id, state, kiosk_id, day, sha256, size, next_attempt_at,"
                " reason, last_error, last_error_at, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    row.capture_id,
                    row.state.value,
                    row.kiosk_id,
                    row.day,
                    row.sha256,
                    row.size,
                    now,
                    row.reason,
                    row.reason,
                    now if row.reason else None,
                    created,
                    now,
                ),
            )
        return cur.rowcount > 0

    def move(
        self,
        db: sqlite3.Connection,
        capture_id: str,
        target: QueueState,
        *,
        only_from: Collection[QueueState] | None = None,
        **columns: Any,
    ) -> QueueState | None:
        """Within ``db``'s transaction, move one row to ``target`` and set ``columns``; return its old state.

        None when there is no such row. A row whose state is not in ``only_from`` is left as it is (the
        caller's "only if still ..."); any other move the state table does not allow raises
        :class:`~kiosk.queue.states.IllegalTransition` and changes nothing.
        """
        row = db.execute("SELECT state FROM envelopes WHERE capture_id = ?", (capture_id,)).fetchone()
        if row is None:
            return None
        current = QueueState(row["state"])
        if only_from is not None and current not in only_from:
            return current
        check_transition(current, target, capture_id)
        sets = "".join(f", {name} = ?" for name in columns)
        db.execute(
            f"UPDATE envelopes SET state = ?{sets} WHERE capture_id = ?",
            (target.value, *columns.values(), capture_id),
        )
        return current

    def move_all(self, source: QueueState, target: QueueState, **columns: Any) -> int:
        """Move every row in ``source`` to ``target`` (one legal move for all); return how many moved."""
        check_transition(source, target)
        sets = "".join(f", {name} = ?" for name in columns)
        with self.tx() as db:
            cur = db.execute(
                f"UPDATE envelopes SET state = ?{sets} WHERE state = ?",
                (target.value, *columns.values(), source.value),
            )
        return cur.rowcount

    def set_file_deleted(self, capture_id: str, at: float) -> None:
        """Record that the envelope file is gone (retention, or found missing); not a change of state."""
        with self.tx() as db:
            db.execute("UPDATE envelopes SET file_deleted_at = ? WHERE capture_id = ?", (at, capture_id))

    # --- the uploader's side ----------------------------------------------------------------------

    def claim(self, cutoff: float | None = None) -> Entry | None:
        """Take the next due pending capture and mark it ``uploading`` (committed before any transfer).

        Only ``pending`` rows are ever claimed: done, voided and quarantined captures are not sent.
        """
        cutoff = self._clock() if cutoff is None else cutoff
        with self.tx() as db:
            row = db.execute(
                "SELECT capture_id FROM envelopes WHERE state = ? AND next_attempt_at <= ?"
                " ORDER BY next_attempt_at, created_at LIMIT 1",
                (QueueState.PENDING.value, cutoff),
            ).fetchone()
            if row is None:
                return None
            cid = row["capture_id"]
            self.move(db, cid, QueueState.UPLOADING, updated_at=self._clock())
            db.execute("UPDATE envelopes SET attempts = attempts + 1 WHERE capture_id = ?", (cid,))
        return self.get(cid)

    def mark_done(self, capture_id: str) -> bool:
        """The centre confirmed it; True unless the row had already left ``uploading``/``pending``."""
        now = self._clock()
        with self.tx() as db:
            before = self.move(
                db,
                capture_id,
                QueueState.DONE,
                only_from=sources_of(QueueState.DONE),
                done_at=now,
                updated_at=now,
                reason=None,
            )
        return before in sources_of(QueueState.DONE)

    def mark_retry(self, capture_id: str, error: str, *, slow: bool = False, retry_after: float | None = None) -> float:
        """Put a claimed capture back to ``pending`` after a failed attempt; return the wait in seconds."""
        now = self._clock()
        entry = self.get(capture_id)
        attempts = entry.attempts if entry else 1
        wait = self.backoff.delay(attempts, self._rng, retry_after=retry_after, slow=slow)
        with self.tx() as db:
            self.move(
                db,
                capture_id,
                QueueState.PENDING,
                only_from=(QueueState.UPLOADING,),
                next_attempt_at=now + wait,
                last_error=error,
                last_error_at=now,
                updated_at=now,
            )
        return wait

    def quarantine(self, capture_id: str, reason: str) -> bool:
        """Stop trying a capture; False when it was already settled (done or voided) and is left so."""
        now = self._clock()
        with self.tx() as db:
            before = self.move(
                db,
                capture_id,
                QueueState.QUARANTINED,
                only_from=sources_of(QueueState.QUARANTINED),
                reason=reason,
                last_error=reason,
                last_error_at=now,
                updated_at=now,
            )
        return before in sources_of(QueueState.QUARANTINED)
