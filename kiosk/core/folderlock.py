"""One booth per data folder: an advisory lock that names the process holding it.

Two booths (or a demo and a booth) writing one database, outbox and camera state would each believe the
queue is theirs; two uploaders would send the same envelopes twice. Each process that owns a data folder
takes a named lock there with ``flock`` (released by the kernel when the process dies, however it dies)
and writes its pid and command line into the lock file, so a second one can say who is in the way.
The booth and the uploader take different names: they are meant to run side by side.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Holder:
    """Who holds a lock, as it wrote itself into the lock file."""

    pid: int | None
    command: str

    def describe(self) -> str:
        if self.pid is None:
            return "a process that did not say which"
        return f"pid {self.pid}: {self.command}" if self.command else f"pid {self.pid}"


class FolderBusy(RuntimeError):
    """The lock is held by another process; the message names it and what to do."""

    def __init__(self, message: str, holder: Holder) -> None:
        super().__init__(message)
        self.holder = holder


def this_command() -> str:
    """This process's command line as typed (program name without its folder)."""
    argv = sys.argv or ["kiosk"]
    program = Path(argv[0])
    name = f"python -m {program.parent.name}" if program.name == "__main__.py" else program.name
    return " ".join([name, *(shlex.quote(arg) for arg in argv[1:])])


def read_holder(path: Path) -> Holder:
    """The pid and command written into the lock file at ``path`` (pid None when unreadable)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return Holder(None, "")
    pid_text, _, command = text.partition(" ")
    return Holder(int(pid_text), command) if pid_text.isdigit() else Holder(None, "")


@contextlib.contextmanager
def hold(folder: Path, name: str, what: str) -> Iterator[Path]:
    """Hold ``folder/.NAME.lock`` for the ``with`` block, or raise FolderBusy naming the holder.

    ``what`` is how the message calls the process ("booth", "uploader"). The folder is made (0700) if
    missing. The lock file stays behind when released: it is the lock, not a flag.
    """
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f".{name}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = read_holder(path)
            raise FolderBusy(
                f"another {what} is already running on {folder} ({holder.describe()}); stop it first",
                holder,
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {this_command()}\n".encode())
        yield path
    finally:
        os.close(fd)


def booth_lock(data_dir: Path) -> contextlib.AbstractContextManager[Path]:
    """The booth's lock (``kiosk run`` and ``kiosk demo``): one state machine per data folder."""
    return hold(data_dir, "booth", "booth")


def uploader_lock(data_dir: Path) -> contextlib.AbstractContextManager[Path]:
    """The uploader's lock (``kiosk uploader`` or a demo's own): one sender per outbox."""
    return hold(data_dir / "outbox", "uploader", "uploader")
