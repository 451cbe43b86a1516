"""A test double for the project's file-writing layer (``kiosk.core.files``) that knows what a power cut keeps.

In the spirit of ALICE and CrashMonkey: every operation ``kiosk.core.files`` asks of the OS is recorded in
order (file fsync with the bytes it made durable, rename, unlink, folder fsync), together with marks the
test places between SQLite commits. :meth:`DurableDisk.image` then builds, for a crash after any event,
the folder a power cut could leave behind:

* a file's bytes survive only once the file was fsynced;
* a rename, create or unlink survives only once its folder was fsynced; the pessimistic image drops every
  folder change made after the folder's last fsync, the optimistic one keeps them (both can happen);
* SQLite (WAL, synchronous=FULL) is trusted: each database is copied as committed at that event.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Event:
    kind: str  # "fsync", "rename", "unlink", "fsync_dir", "mark"
    path: str = ""
    dest: str = ""
    data: bytes = b""
    label: str = ""
    snapshot: Path | None = None  # folder holding the committed copies of the databases at this event


class _RecordingOS:
    """Stands in for the ``os`` module inside ``kiosk.core.files``: delegates, and tells the disk."""

    def __init__(self, disk: DurableDisk) -> None:
        self._disk = disk
        self._paths: dict[int, str] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    def open(self, path: Any, flags: int, mode: int = 0o777) -> int:
        fd = os.open(path, flags, mode)
        self._paths[fd] = os.fspath(path)
        return fd

    def close(self, fd: int) -> None:
        self._paths.pop(fd, None)
        os.close(fd)

    def fsync(self, fd: int) -> None:
        os.fsync(fd)
        path = self._paths.get(fd)
        if path is None:
            return
        if os.path.isdir(path):
            self._disk.record(Event("fsync_dir", path=path))
        else:
            with open(path, "rb") as fh:
                self._disk.record(Event("fsync", path=path, data=fh.read()))

    def fdopen(self, fd: int, *args: Any, **kw: Any) -> Any:
        return os.fdopen(fd, *args, **kw)

    def replace(self, src: Any, dst: Any) -> None:
        os.replace(src, dst)
        self._disk.record(Event("rename", path=os.fspath(src), dest=os.fspath(dst)))

    def unlink(self, path: Any) -> None:
        os.unlink(path)
        self._disk.record(Event("unlink", path=os.fspath(path)))


@dataclass
class DurableDisk:
    """Records one run over ``root`` and rebuilds the crash images of it."""

    root: Path
    databases: tuple[str, ...]  # file names in ``root``, copied as committed at every event
    work: Path  # where snapshots and images go
    events: list[Event] = field(default_factory=list)
    _initial: dict[str, bytes] = field(default_factory=dict)

    def start(self, monkeypatch: Any) -> None:
        """Snapshot what is on disk now (all durable) and begin recording ``kiosk.core.files``."""
        import kiosk.core.files

        self._initial = {
            str(p): p.read_bytes() for p in self.root.rglob("*") if p.is_file() and p.name not in self._db_files()
        }
        self.events = [Event("mark", label="start", snapshot=self._snapshot(0))]
        monkeypatch.setattr(kiosk.core.files, "os", _RecordingOS(self))

    def _db_files(self) -> set[str]:
        return {f"{name}{suffix}" for name in self.databases for suffix in ("", "-wal", "-shm")}

    def record(self, event: Event) -> None:
        event.snapshot = self._snapshot(len(self.events))
        self.events.append(event)

    def mark(self, label: str) -> None:
        """A point between SQLite commits (after a row, after the booth's own mark)."""
        self.record(Event("mark", label=label))

    def _snapshot(self, index: int) -> Path:
        folder = self.work / f"snap-{index:03d}"
        folder.mkdir(parents=True)
        for name in self.databases:
            src_path = self.root / name
            if not src_path.exists():
                continue
            src = sqlite3.connect(src_path)
            dst = sqlite3.connect(folder / name)
            try:
                src.backup(dst)  # the committed state, as a power cut leaves it with WAL + synchronous=FULL
            finally:
                dst.close()
                src.close()
        return folder

    def image(self, upto: int, optimistic: bool, dest: Path) -> Path:
        """The data folder after a power cut right after ``events[upto]``."""
        names: dict[str, bytes] = dict(self._initial)  # durable directory entries and their contents
        synced: dict[str, bytes] = {}  # bytes made durable per path (the inode behind the name)
        pending: dict[str, list[Event]] = {}  # folder -> changes not yet made durable by a folder fsync
        for event in self.events[: upto + 1]:
            if event.kind == "fsync":
                synced[event.path] = event.data
                if event.path in names:
                    names[event.path] = event.data
            elif event.kind in ("rename", "unlink"):
                pending.setdefault(os.path.dirname(event.dest or event.path), []).append(event)
            elif event.kind == "fsync_dir":
                for change in pending.pop(event.path, []):
                    _apply(change, names, synced)
        if optimistic:
            for changes in pending.values():
                for change in changes:
                    _apply(change, names, synced)
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        for path, data in names.items():
            target = dest / Path(path).relative_to(self.root)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        snapshot = self.events[upto].snapshot
        assert snapshot is not None
        for name in self.databases:
            if (snapshot / name).exists():
                shutil.copy(snapshot / name, dest / name)
        return dest


def _apply(change: Event, names: dict[str, bytes], synced: dict[str, bytes]) -> None:
    if change.kind == "rename":
        # The new name points at the renamed inode: its synced bytes, or nothing if never fsynced.
        names[change.dest] = synced.get(change.path, b"")
        names.pop(change.path, None)
        if change.path in synced:
            synced[change.dest] = synced.pop(change.path)
    else:
        names.pop(change.path, None)
