"""The booth's SQLite files: the database and its -wal and -shm files are all private (0600)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from kiosk.storage import db


def _modes(path: Path) -> dict[str, int]:
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in path.parent.glob(path.name + "*")}


def test_database_and_wal_files_are_private_even_with_a_lax_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = tmp_path / "booth.sqlite"
        conn = db.connect(path, ["CREATE TABLE t(x)"])
        conn.execute("INSERT INTO t VALUES (1)")
        modes = _modes(path)
        assert set(modes) == {"booth.sqlite", "booth.sqlite-wal", "booth.sqlite-shm"}
        assert set(modes.values()) == {0o600}, modes
        conn.close()
        # an older data folder with 0644 files is tightened at the next start
        for p in tmp_path.iterdir():
            os.chmod(p, 0o644)
        conn = db.connect(path, ["CREATE TABLE t(x)"])
        conn.execute("INSERT INTO t VALUES (2)")
        assert set(_modes(path).values()) == {0o600}
        conn.close()
    finally:
        os.umask(old)
