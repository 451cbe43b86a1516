"""The staff console's own connection to the booth's records database (``booth.sqlite``).

The staff pages read statistics and write batches, voids and the audit log from web threads. They use
their own connection, serialised by their own lock, so a slow statistics query never shares the booth
thread's connection. The schema is the records' (``kiosk.storage.records.MIGRATIONS``); opening the store brings
an old data folder up to date exactly as the booth would.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kiosk.storage import db
from kiosk.storage.records import MIGRATIONS

RECORDS_FILE = "booth.sqlite"


class StaffStore:
    """Queries and transactions on the records database, safe to share between web threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._conn = db.connect(self.path, MIGRATIONS)
        self._lock = threading.Lock()
        with contextlib.suppress(OSError):
            os.chmod(self.path, 0o600)

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> StaffStore:
        return cls(Path(data_dir) / RECORDS_FILE)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> StaffStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    @contextlib.contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (IMMEDIATE, so it never deadlocks with the booth upgrading a read)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
