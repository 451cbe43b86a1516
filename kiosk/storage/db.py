"""SQLite connections with the durability settings every kiosk database uses, and schema migrations.

WAL lets the web page read while the booth writes; ``synchronous=FULL`` makes a committed row survive a
power cut. The database and its ``-wal`` and ``-shm`` files are readable by the kiosk's user only (0600):
SQLite gives the WAL files the database's mode, so the database is created 0600 before SQLite opens it.
Each database names an ordered list of migrations; ``PRAGMA user_version`` records how many
have run, so an old data folder is brought up to date at start-up and never rebuilt.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer kiosk than this one."""


def connect(path: Path, migrations: Sequence[str]) -> sqlite3.Connection:
    """Open (creating if needed) ``path``, apply pending ``migrations`` and return the connection.

    ``migrations[i]`` is a SQL script that moves the schema from version i to i+1. Scripts are never
    edited once released; add a new one instead.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    make_private(path)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    before = conn.execute("PRAGMA user_version").fetchone()[0]
    if migrate(conn, migrations) != before:
        # A migration may copy a whole table; fold the WAL back so it does not keep that size on a small card.
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return conn


def make_private(path: Path) -> None:
    """Create ``path`` 0600 if missing, and bring it and its WAL files to 0600 if they are wider."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            if p.stat().st_mode & 0o077:
                os.chmod(p, 0o600)


def migrate(conn: sqlite3.Connection, migrations: Sequence[str]) -> int:
    """Apply the migrations the database has not seen yet; return the new schema version."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(migrations):
        raise SchemaTooNewError(f"database schema version {version} is newer than this kiosk knows ({len(migrations)})")
    for number in range(version, len(migrations)):
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] > number:
                conn.execute("ROLLBACK")  # another process (booth or uploader) applied it meanwhile
                continue
            for statement in _statements(migrations[number]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={number + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return len(migrations)


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (executescript would commit behind our back)."""
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
