"""Opening the queue database, and rebuilding it from the envelopes when it is damaged.

A power cut on a cheap SD card can leave ``outbox.sqlite`` unreadable ("file is not a database",
"database disk image is malformed"). The envelopes are the truth: each names its capture in its header.
So the damaged file (with its -wal and -shm) is renamed ``outbox.sqlite.corrupt-<time>``, an empty queue
is made, and every envelope on disk is queued again by reconciliation. Captures the centre already has
are sent again and answered "already stored". Staff are told through ``REBUILT_NAME`` (console,
``kiosk queue status``) and the log. An exclusive lock keeps the booth and the uploader from rebuilding
at the same moment.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from kiosk.core.files import atomic_write, fsync_dir
from kiosk.queue.schema import MIGRATIONS
from kiosk.storage.db import connect

log = logging.getLogger(__name__)

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


def read_rebuild_notice(outbox_dir: Path) -> RebuildNotice | None:
    """The last rebuild of a damaged queue database, for staff (None if there has been none)."""
    try:
        return RebuildNotice(**json.loads((outbox_dir / REBUILT_NAME).read_text()))
    except (OSError, ValueError, TypeError):
        return None


# Given the new, empty database, queue every envelope on disk again; returns (requeued, quarantined).
Refill = Callable[[sqlite3.Connection], tuple[int, int]]


def open_queue_database(
    db_path: Path, outbox_dir: Path, clock: Callable[[], float], refill: Refill
) -> sqlite3.Connection:
    """Open (creating or migrating) the queue database; one that is damaged is moved aside and rebuilt."""
    try:
        conn = connect(db_path, MIGRATIONS)
        problem = _integrity_problem(conn)
        if problem is None:
            return conn
        conn.close()
    except sqlite3.DatabaseError as exc:
        if not is_corruption(exc):
            raise
        problem = str(exc)
    with _exclusive(outbox_dir / ".rebuild.lock"):
        # Another process may have rebuilt it while this one waited for the lock.
        try:
            conn = connect(db_path, MIGRATIONS)
            if _integrity_problem(conn) is None:
                return conn
            conn.close()
        except sqlite3.DatabaseError as exc:
            if not is_corruption(exc):
                raise
        return _rebuild(db_path, outbox_dir, clock, refill, problem)


def _rebuild(
    db_path: Path, outbox_dir: Path, clock: Callable[[], float], refill: Refill, problem: str
) -> sqlite3.Connection:
    stamp = time.strftime("%Y%m%dT%H%M%S", time.localtime(clock()))
    aside = db_path.with_name(f"{db_path.name}.corrupt-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        src = Path(f"{db_path}{suffix}")
        if src.exists():
            os.replace(src, Path(f"{aside}{suffix}"))
    fsync_dir(db_path.parent)
    log.error("queue database damaged (%s): moved aside to %s; rebuilding from the envelopes", problem, aside.name)
    conn = connect(db_path, MIGRATIONS)
    requeued, quarantined = refill(conn)
    notice = RebuildNotice(
        at=clock(), problem=problem[:300], moved_to=aside.name, requeued=requeued, quarantined=quarantined
    )
    atomic_write(outbox_dir / REBUILT_NAME, json.dumps(asdict(notice)).encode())
    log.error(
        "queue rebuilt: %d envelopes queued again, %d quarantined; the damaged copy is %s",
        requeued,
        quarantined,
        aside.name,
    )
    return conn


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
