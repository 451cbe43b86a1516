"""The outbox: sealed captures waiting on the SD card until the centre has confirmed each one.

Why it is built this way:

* A capture is accepted only once it would survive a power cut: the envelope is written atomically
  (temp, fsync, rename) and only then its row is committed (SQLite WAL, ``synchronous=FULL``). A crash
  between the two leaves a file without a row, which start-up reconciliation re-queues.
* Rows move ``pending -> uploading -> done`` or to ``quarantined`` with a reason that staff can read.
  ``uploading`` is committed before a transfer starts, so a killed uploader is visible afterwards and the
  row goes back to ``pending``; the centre deduplicates by capture id, so sending again is harmless.
* Files are deleted only ``retention_days`` after "done", and never for a quarantined capture.
* The booth asks :meth:`Outbox.free_ok` before a session: below the watermark it refuses new students
  rather than accept a photo it may not be able to keep.

The booth process calls :meth:`Outbox.submit`; the uploader process claims and settles rows. Both open
the same database; nothing is shared in memory.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import random
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from kiosk.core.capture import AcceptedCapture
from kiosk.core.config import Config
from kiosk.core.files import atomic_write, fsync_dir
from kiosk.storage.db import connect
from kiosk.storage.sealing import (
    SUFFIX,
    EnvelopeError,
    load_public_key,
    parse_header,
    read_header_file,
    seal_capture,
    sha256_hex,
)

log = logging.getLogger(__name__)

STATES = ("pending", "uploading", "done", "quarantined")
MB = 1024 * 1024

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
]

Writer = Callable[[Path, bytes], Any]


def centre_key_path(config: Config) -> Path:
    """``upload.centre_public_key``, or centre.pub in the data folder."""
    if config.upload.centre_public_key:
        return Path(config.upload.centre_public_key).expanduser()
    return config.data_dir / "centre.pub"


class OutboxError(RuntimeError):
    """A queue operation that cannot be done as asked; phrased for the technician."""


@dataclass(frozen=True)
class Entry:
    """One row of the queue."""

    capture_id: str
    state: str
    kiosk_id: str
    day: str  # the capture's local date, YYYY-MM-DD (part of the s3 key)
    sha256: str
    size: int
    attempts: int
    next_attempt_at: float
    last_error: str | None
    last_error_at: float | None
    reason: str | None
    created_at: float
    updated_at: float
    done_at: float | None
    file_deleted_at: float | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Entry:
        return cls(**{k: row[k] for k in row.keys()})  # noqa: SIM118 - sqlite3.Row needs keys()


@dataclass(frozen=True)
class Backoff:
    """How long to wait before the next attempt.

    Exponential with "equal jitter" (half fixed, half random) so a fleet of booths that lost the network
    together does not come back in lockstep; a Retry-After from the centre wins when it asks for longer.
    """

    min_s: float = 5.0
    max_s: float = 900.0
    slow_s: float = 1800.0
    max_retry_after_s: float = 86400.0

    def delay(self, attempts: int, rng: random.Random, retry_after: float | None = None, slow: bool = False) -> float:
        if slow:
            base = self.slow_s
        else:
            lo = min(self.min_s, self.max_s)
            base = min(self.max_s, lo * 2 ** max(0, attempts - 1))
        wait = base / 2 + rng.uniform(0, base / 2)
        if retry_after is not None:
            wait = max(wait, min(max(retry_after, 0.0), self.max_retry_after_s))
        return wait


@dataclass
class ReconcileReport:
    """What start-up reconciliation found and did (counts, for the log and the tests)."""

    requeued_uploading: int = 0
    adopted_files: int = 0
    quarantined_files: int = 0
    missing_files: int = 0
    removed_temp_files: int = 0
    left_young_files: int = 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class QueueStatus:
    """What ``kiosk queue status`` shows."""

    counts: dict[str, int]
    oldest_pending_age_s: float | None
    next_attempt_in_s: float | None
    last_error: str | None
    last_error_capture: str | None
    last_error_age_s: float | None
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    free_mb: float = 0.0
    min_free_mb: int = 0
    free_ok: bool = True
    rebuilt: dict[str, Any] | None = None  # the last rebuild of a damaged queue database (RebuildNotice)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


REBUILT_NAME = "queue-rebuilt.json"


@dataclass(frozen=True)
class RebuildNotice:
    """A damaged queue database was moved aside and the queue rebuilt from the envelopes on disk."""

    at: float  # wall-clock seconds
    problem: str  # what SQLite said
    moved_to: str  # the damaged copy, in the data folder
    requeued: int  # envelopes queued again
    quarantined: int  # envelopes found unreadable


def is_corruption(exc: sqlite3.DatabaseError) -> bool:
    """SQLITE_CORRUPT or SQLITE_NOTADB: the file is damaged, not merely busy, full or unreadable."""
    if getattr(exc, "sqlite_errorname", "") in ("SQLITE_CORRUPT", "SQLITE_NOTADB"):
        return True
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text


def _integrity_problem(conn: sqlite3.Connection) -> str | None:
    """None when ``PRAGMA quick_check`` is happy, else its first findings."""
    rows = conn.execute("PRAGMA quick_check").fetchall()
    if len(rows) == 1 and rows[0][0] == "ok":
        return None
    return "; ".join(str(r[0]) for r in rows[:3])


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """A blocking exclusive flock on ``path`` (the kernel drops it if the process dies)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


class Outbox:
    """The durable, sealed upload queue of one data folder (implements ``CaptureSink``)."""

    def __init__(
        self,
        data_dir: Path | str,
        centre_public_key: X25519PublicKey | None,
        kiosk_id: str,
        *,
        include_original: bool = False,
        min_free_mb: int = 500,
        retention_days: float = 30,
        backoff: Backoff | None = None,
        writer: Writer = atomic_write,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        orphan_grace_s: float = 120.0,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.dir = self.data_dir / "outbox"
        self.dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            os.chmod(self.dir, 0o700)
        self.db_path = self.data_dir / "outbox.sqlite"
        self.kiosk_id = kiosk_id
        self.include_original = include_original
        self.min_free_mb = min_free_mb
        self.retention_s = retention_days * 86400.0
        self.backoff = backoff or Backoff()
        self.orphan_grace_s = orphan_grace_s
        self._key = centre_public_key
        self._writer = writer
        self._clock = clock
        self._rng = rng or random.Random()
        self._lock = threading.RLock()
        self._db = self._open_db()

    def _open_db(self) -> sqlite3.Connection:
        """Open the queue database; one that is damaged is moved aside and rebuilt from the envelopes.

        A power cut on a cheap SD card can leave ``outbox.sqlite`` unreadable ("file is not a database",
        "database disk image is malformed"). The envelopes are the truth: each names its capture in its
        header. So the damaged file (with its -wal and -shm) is renamed ``outbox.sqlite.corrupt-<time>``,
        an empty queue is made, and every envelope on disk is queued again by reconciliation. Captures
        the centre already has are sent again and answered "already stored". Staff are told through
        ``REBUILT_NAME`` (console, ``kiosk queue status``) and the log. An exclusive lock keeps the booth
        and the uploader from rebuilding at the same moment.
        """
        try:
            conn = connect(self.db_path, MIGRATIONS)
            problem = _integrity_problem(conn)
            if problem is None:
                return conn
            conn.close()
        except sqlite3.DatabaseError as exc:
            if not is_corruption(exc):
                raise
            problem = str(exc)
        with _exclusive(self.dir / ".rebuild.lock"):
            # Another process may have rebuilt it while this one waited for the lock.
            try:
                conn = connect(self.db_path, MIGRATIONS)
                if _integrity_problem(conn) is None:
                    return conn
                conn.close()
            except sqlite3.DatabaseError as exc:
                if not is_corruption(exc):
                    raise
            return self._rebuild(problem)

    def _rebuild(self, problem: str) -> sqlite3.Connection:
        stamp = time.strftime("%Y%m%dT%H%M%S", time.localtime(self._clock()))
        aside = self.db_path.with_name(f"{self.db_path.name}.corrupt-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            src = Path(f"{self.db_path}{suffix}")
            if src.exists():
                os.replace(src, Path(f"{aside}{suffix}"))
        fsync_dir(self.data_dir)
        log.error("queue database damaged (%s): moved aside to %s; rebuilding from the envelopes", problem, aside.name)
        conn = connect(self.db_path, MIGRATIONS)
        self._db = conn
        grace, self.orphan_grace_s = self.orphan_grace_s, 0.0
        try:
            report = self.reconcile(reset_uploading=False)
        finally:
            self.orphan_grace_s = grace
        notice = RebuildNotice(
            at=self._clock(),
            problem=problem[:300],
            moved_to=aside.name,
            requeued=report.adopted_files,
            quarantined=report.quarantined_files,
        )
        atomic_write(self.dir / REBUILT_NAME, json.dumps(asdict(notice)).encode())
        log.error(
            "queue rebuilt: %d envelopes queued again, %d quarantined; the damaged copy is %s",
            report.adopted_files,
            report.quarantined_files,
            aside.name,
        )
        return conn

    def rebuild_notice(self) -> RebuildNotice | None:
        """The last rebuild of a damaged queue database, for staff (None if there has been none)."""
        try:
            return RebuildNotice(**json.loads((self.dir / REBUILT_NAME).read_text()))
        except (OSError, ValueError, TypeError):
            return None

    @classmethod
    def from_config(cls, config: Config, *, need_key: bool = True, **kwargs: Any) -> Outbox:
        """The outbox of ``config``'s data folder; ``need_key=False`` for processes that only send."""
        key = load_public_key(centre_key_path(config)) if need_key else None
        up = config.upload
        kwargs.setdefault("backoff", Backoff(min_s=up.backoff_min_s, max_s=up.backoff_max_s, slow_s=up.slow_retry_s))
        return cls(
            config.data_dir,
            key,
            config.kiosk.id,
            include_original=up.include_original,
            min_free_mb=up.min_free_mb,
            retention_days=up.retention_days,
            **kwargs,
        )

    # --- life cycle -------------------------------------------------------------------------------

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; IMMEDIATE so the booth and the uploader never deadlock on upgrade.

        The lock keeps threads of one process (the booth's web server) from interleaving on the
        shared connection; other processes are kept apart by SQLite itself.
        """
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def now(self) -> float:
        """Wall-clock seconds as the queue records them (persisted, so not monotonic)."""
        return self._clock()

    def path_for(self, capture_id: str) -> Path:
        return self.dir / f"{capture_id}{SUFFIX}"

    # --- the booth's side ---------------------------------------------------------------------------

    def free_bytes(self) -> int:
        return shutil.disk_usage(self.dir).free

    def free_ok(self) -> bool:
        """Is there room for another session? False below ``min_free_mb``: refuse new students."""
        return self.free_bytes() >= self.min_free_mb * MB

    def submit(self, capture: AcceptedCapture) -> None:
        """Seal ``capture``, write its envelope durably, then commit its row.

        Returns only once both survive a power cut. Submitting the same capture id again is a no-op. On
        any failure (ENOSPC included) nothing of this capture remains and earlier captures are untouched;
        the error is raised for the booth to apologise.
        """
        if self._key is None:
            raise OutboxError("no centre public key: this outbox can queue no new capture")
        cid = capture.capture_id
        if self.get(cid) is not None:
            log.info("capture %s is already queued", cid)
            return
        path = self.path_for(cid)
        data = self._existing_envelope(path, cid)
        wrote = False
        if data is None:
            data = seal_capture(capture, self._key, include_original=self.include_original)
            self._writer(path, data)
            wrote = True
        now = self._clock()
        day = capture.taken_at.date().isoformat()
        try:
            with self._tx() as db:
                db.execute(
                    "INSERT OR IGNORE INTO envelopes (capture_id, state, kiosk_id, day, sha256, size,"
                    " next_attempt_at, created_at, updated_at) VALUES (?, 'pending', ?, ?, ?, ?, ?, ?, ?)",
                    (cid, capture.kiosk_id, day, sha256_hex(data), len(data), now, now, now),
                )
        except sqlite3.Error:
            if wrote:
                with contextlib.suppress(OSError):
                    path.unlink()
                    fsync_dir(self.dir)
            raise
        log.info("capture %s queued (%d bytes)", cid, len(data))

    def holds(self, capture_id: str) -> bool:
        """Is ``capture_id`` queued, or its complete envelope on disk waiting for reconciliation?

        The booth asks this at start for every passing capture its records do not mark accepted: a crash
        between the queue's commit and the booth's own mark must not let the student be taken again.
        """
        if self.get(capture_id) is not None:
            return True
        return self._existing_envelope(self.path_for(capture_id), capture_id) is not None

    def _existing_envelope(self, path: Path, capture_id: str) -> bytes | None:
        """An envelope written before a crash whose row never committed: keep it rather than reseal."""
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            header, _ = parse_header(data)
        except EnvelopeError:
            return None
        return data if header.capture_id == capture_id else None

    # --- the uploader's side ------------------------------------------------------------------------

    def claim(self, cutoff: float | None = None) -> Entry | None:
        """Take the next due pending capture and mark it ``uploading`` (committed before any transfer)."""
        cutoff = self._clock() if cutoff is None else cutoff
        with self._tx() as db:
            row = db.execute(
                "SELECT * FROM envelopes WHERE state = 'pending' AND next_attempt_at <= ?"
                " ORDER BY next_attempt_at, created_at LIMIT 1",
                (cutoff,),
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE envelopes SET state = 'uploading', attempts = attempts + 1, updated_at = ?"
                " WHERE capture_id = ?",
                (self._clock(), row["capture_id"]),
            )
        return self.get(row["capture_id"])

    def read_envelope(self, entry: Entry) -> bytes:
        """The envelope's bytes, checked against the sha256 recorded when it was queued."""
        try:
            data = self.path_for(entry.capture_id).read_bytes()
        except FileNotFoundError:
            raise OutboxError("envelope file is missing from the outbox") from None
        if sha256_hex(data) != entry.sha256:
            raise OutboxError("envelope file changed on disk (sha256 differs from the queued one)")
        return data

    def mark_done(self, capture_id: str, detail: str = "stored") -> None:
        now = self._clock()
        with self._tx() as db:
            db.execute(
                "UPDATE envelopes SET state = 'done', done_at = ?, updated_at = ?, reason = NULL"
                " WHERE capture_id = ? AND state IN ('uploading', 'pending')",
                (now, now, capture_id),
            )
        log.info("capture %s done: %s", capture_id, detail)
        if self.retention_s <= 0:
            self.purge_expired()

    def mark_retry(self, capture_id: str, error: str, *, slow: bool = False, retry_after: float | None = None) -> float:
        """Put a capture back to ``pending`` after a failed attempt; return the wait in seconds."""
        now = self._clock()
        entry = self.get(capture_id)
        attempts = entry.attempts if entry else 1
        wait = self.backoff.delay(attempts, self._rng, retry_after=retry_after, slow=slow)
        with self._tx() as db:
            db.execute(
                "UPDATE envelopes SET state = 'pending', next_attempt_at = ?, last_error = ?,"
                " last_error_at = ?, updated_at = ? WHERE capture_id = ? AND state = 'uploading'",
                (now + wait, error, now, now, capture_id),
            )
        log.warning("capture %s: %s; next try in %.0f s", capture_id, error, wait)
        return wait

    def quarantine(self, capture_id: str, reason: str) -> None:
        """Stop trying a capture; keep its file; staff decide (``kiosk queue retry``)."""
        now = self._clock()
        with self._tx() as db:
            db.execute(
                "UPDATE envelopes SET state = 'quarantined', reason = ?, last_error = ?, last_error_at = ?,"
                " updated_at = ? WHERE capture_id = ?",
                (reason, reason, now, now, capture_id),
            )
        log.error("capture %s quarantined: %s", capture_id, reason)

    def next_due_at(self) -> float | None:
        return self._query("SELECT MIN(next_attempt_at) FROM envelopes WHERE state = 'pending'")[0][0]

    # --- reconciliation and retention ---------------------------------------------------------------

    def reconcile(self, *, reset_uploading: bool = True) -> ReconcileReport:
        """Make files and rows agree again after a crash or a power cut.

        * rows left ``uploading`` go back to ``pending`` (only the single uploader should ask for this);
        * a pending row whose file is gone is quarantined with the reason;
        * an envelope without a row is queued if its header parses and matches its name, else
          quarantined; files younger than ``orphan_grace_s`` are left for next time, since the booth
          may be between writing one and committing its row;
        * temp files from interrupted writes are removed.
        """
        report = ReconcileReport()
        now = self._clock()
        if reset_uploading:
            with self._tx() as db:
                cur = db.execute(
                    "UPDATE envelopes SET state = 'pending', next_attempt_at = ?, updated_at = ?"
                    " WHERE state = 'uploading'",
                    (now, now),
                )
                report.requeued_uploading = cur.rowcount
        files: dict[str, Path] = {}
        wall_now = time.time()
        for path in self.dir.iterdir():
            name = path.name
            if name.startswith(".") and name.endswith(".tmp"):
                if self._age(path, wall_now) >= self.orphan_grace_s:
                    with contextlib.suppress(OSError):
                        path.unlink()
                        report.removed_temp_files += 1
                continue
            if name.endswith(SUFFIX) and not name.startswith("."):
                files[name[: -len(SUFFIX)]] = path
        known: set[str] = set()
        for row in self._query("SELECT capture_id, state, file_deleted_at FROM envelopes"):
            cid = row["capture_id"]
            known.add(cid)
            if cid in files:
                continue
            if row["state"] in ("pending", "uploading"):
                self.quarantine(cid, "envelope file is missing from the outbox")
                report.missing_files += 1
            elif row["state"] == "done" and row["file_deleted_at"] is None:
                with self._tx() as db:
                    db.execute("UPDATE envelopes SET file_deleted_at = ? WHERE capture_id = ?", (now, cid))
        for stem, path in sorted(files.items()):
            if stem in known:
                continue
            if self._age(path, wall_now) < self.orphan_grace_s:
                report.left_young_files += 1
                continue
            if self._adopt(stem, path, now):
                report.adopted_files += 1
            else:
                report.quarantined_files += 1
        if any(asdict(report).values()):
            log.info("outbox reconciled: %s", report.to_dict())
        return report

    @staticmethod
    def _age(path: Path, now: float) -> float:
        try:
            return now - path.stat().st_mtime
        except FileNotFoundError:
            return 0.0

    def _adopt(self, stem: str, path: Path, now: float) -> bool:
        """Queue an envelope that has no row; quarantine it if it is not a readable envelope."""
        try:
            data = path.read_bytes()
            mtime = path.stat().st_mtime
        except OSError:
            return False
        reason = None
        kiosk_id = ""
        try:
            header, _ = parse_header(data)
            kiosk_id = header.kiosk_id
            if header.capture_id != stem:
                reason = "file name does not match the capture id in its header"
        except EnvelopeError as exc:
            reason = f"envelope found without a queue row and its header does not parse: {exc}"
        day = time.strftime("%Y-%m-%d", time.localtime(mtime))
        state = "pending" if reason is None else "quarantined"
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO envelopes (capture_id, state, kiosk_id, day, sha256, size, next_attempt_at,"
                " reason, last_error, last_error_at, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    stem,
                    state,
                    kiosk_id,
                    day,
                    sha256_hex(data),
                    len(data),
                    now,
                    reason,
                    reason,
                    now if reason else None,
                    min(mtime, now),
                    now,
                ),
            )
        if reason:
            log.error("envelope %s quarantined: %s", path.name, reason)
        else:
            log.warning("capture %s re-queued from a file without a queue row", stem)
        return reason is None

    def purge_expired(self) -> int:
        """Delete local envelopes ``retention_days`` after "done"; rows stay as the record."""
        now = self._clock()
        rows = self._query(
            "SELECT capture_id FROM envelopes WHERE state = 'done' AND file_deleted_at IS NULL AND done_at <= ?",
            (now - self.retention_s,),
        )
        for row in rows:
            with contextlib.suppress(FileNotFoundError):
                self.path_for(row["capture_id"]).unlink()
            with self._tx() as db:
                db.execute("UPDATE envelopes SET file_deleted_at = ? WHERE capture_id = ?", (now, row["capture_id"]))
        if rows:
            fsync_dir(self.dir)
        return len(rows)

    # --- for staff ----------------------------------------------------------------------------------

    def get(self, capture_id: str) -> Entry | None:
        rows = self._query("SELECT * FROM envelopes WHERE capture_id = ?", (capture_id,))
        return Entry.from_row(rows[0]) if rows else None

    def entries(self, *states: str) -> list[Entry]:
        states = states or STATES
        marks = ",".join("?" for _ in states)
        rows = self._query(f"SELECT * FROM envelopes WHERE state IN ({marks}) ORDER BY created_at", states)
        return [Entry.from_row(r) for r in rows]

    def status(self) -> QueueStatus:
        now = self._clock()
        counts = dict.fromkeys(STATES, 0)
        for row in self._query("SELECT state, COUNT(*) AS n FROM envelopes GROUP BY state"):
            counts[row["state"]] = row["n"]
        oldest = self._query("SELECT MIN(created_at) FROM envelopes WHERE state IN ('pending', 'uploading')")[0][0]
        due = self.next_due_at()
        errors = self._query(
            "SELECT capture_id, last_error, last_error_at FROM envelopes WHERE last_error IS NOT NULL"
            " AND state != 'done' ORDER BY last_error_at DESC LIMIT 1"
        )
        err = errors[0] if errors else None
        quarantined = [
            {"capture_id": r["capture_id"], "reason": r["reason"], "since": r["updated_at"]}
            for r in self._query(
                "SELECT capture_id, reason, updated_at FROM envelopes WHERE state = 'quarantined'"
                " ORDER BY updated_at DESC LIMIT 50"
            )
        ]
        free_mb = self.free_bytes() / MB
        notice = self.rebuild_notice()
        return QueueStatus(
            counts=counts,
            oldest_pending_age_s=None if oldest is None else max(0.0, now - oldest),
            next_attempt_in_s=None if due is None else max(0.0, due - now),
            last_error=err["last_error"] if err else None,
            last_error_capture=err["capture_id"] if err else None,
            last_error_age_s=max(0.0, now - err["last_error_at"]) if err and err["last_error_at"] else None,
            quarantined=quarantined,
            free_mb=round(free_mb, 1),
            min_free_mb=self.min_free_mb,
            free_ok=free_mb >= self.min_free_mb,
            rebuilt=None if notice is None else asdict(notice),
        )

    def retry(self, capture_id: str) -> None:
        """Send a quarantined (or waiting) capture again now, once staff have fixed the cause."""
        entry = self.get(capture_id)
        if entry is None:
            raise OutboxError(f"no capture {capture_id} in the queue")
        if entry.state == "done":
            raise OutboxError(f"capture {capture_id} is already done")
        if not self.path_for(capture_id).exists():
            raise OutboxError(f"capture {capture_id}: its envelope file is missing, nothing to send")
        if entry.state == "quarantined":
            try:
                header = read_header_file(self.path_for(capture_id))
            except (EnvelopeError, OSError) as exc:
                raise OutboxError(f"capture {capture_id}: not a readable envelope ({exc})") from None
            if header.capture_id != capture_id:
                raise OutboxError(f"capture {capture_id}: file name does not match its header")
        now = self._clock()
        with self._tx() as db:
            db.execute(
                "UPDATE envelopes SET state = 'pending', next_attempt_at = ?, reason = NULL, updated_at = ?,"
                " sha256 = ?, size = ? WHERE capture_id = ?",
                (now, now, *self._file_digest(capture_id), capture_id),
            )
        log.info("capture %s set to retry now", capture_id)

    def void(self, capture_id: str, reason: str) -> str:
        """Withdraw a capture that staff voided, so that it is never sent; say where it stood.

        A capture still waiting (``pending`` or ``quarantined``) is settled at once: its row becomes
        ``done`` with ``reason`` "voided: ...", so the uploader never claims it, ``retry`` refuses it,
        and its sealed file goes with the usual retention. Returns ``"withdrawn"`` then. A capture
        already ``done`` or ``uploading`` has reached (or is reaching) the centre and is left alone:
        ``"already_sent"``, and the centre must be told by other means. ``"not_queued"`` when the queue
        never held it. One transaction, so an uploader claiming at the same moment cannot race it.
        """
        now = self._clock()
        with self._tx() as db:
            cur = db.execute(
                "UPDATE envelopes SET state = 'done', done_at = ?, updated_at = ?, reason = ?"
                " WHERE capture_id = ? AND state IN ('pending', 'quarantined')",
                (now, now, f"voided: {reason}", capture_id),
            )
            if cur.rowcount:
                log.info("capture %s withdrawn from the queue: voided by staff", capture_id)
                return "withdrawn"
            row = db.execute("SELECT state FROM envelopes WHERE capture_id = ?", (capture_id,)).fetchone()
        return "not_queued" if row is None else "already_sent"

    def _file_digest(self, capture_id: str) -> tuple[str, int]:
        data = self.path_for(capture_id).read_bytes()
        return sha256_hex(data), len(data)

    def retry_all_quarantined(self) -> list[str]:
        done: list[str] = []
        for entry in self.entries("quarantined"):
            try:
                self.retry(entry.capture_id)
                done.append(entry.capture_id)
            except OutboxError as exc:
                log.warning("%s", exc)
        return done

    def export(self, to_dir: Path, include_quarantined: bool = False) -> list[str]:
        """Copy waiting envelopes (sealed, as they are) to ``to_dir``, e.g. a USB stick for the centre.

        The queue is not changed: the centre deduplicates by capture id, so a capture that later also
        arrives over the network is stored once.
        """
        to_dir = Path(to_dir)
        if not to_dir.is_dir():
            raise OutboxError(f"{to_dir}: no such folder (is the USB stick mounted?)")
        states = ("pending", "uploading", "quarantined") if include_quarantined else ("pending", "uploading")
        copied: list[str] = []
        for entry in self.entries(*states):
            src = self.path_for(entry.capture_id)
            dest = to_dir / src.name
            try:
                data = src.read_bytes()
            except FileNotFoundError:
                continue
            if dest.exists() and sha256_hex(dest.read_bytes()) == sha256_hex(data):
                copied.append(entry.capture_id)
                continue
            try:
                atomic_write(dest, data, mode=0o644)
            except OSError as exc:
                if exc.errno == errno.ENOSPC:
                    raise OutboxError(f"{to_dir}: full after {len(copied)} envelopes") from None
                raise OutboxError(f"{to_dir}: cannot write ({exc.strerror})") from None
            copied.append(entry.capture_id)
        return copied
