"""What the uploader is doing, for staff: a small file in the outbox the booth and ``queue status`` read.

The uploader is a process of its own, and its trouble (a full disk, a centre that does not answer) is
exactly when the queue database may not take a write. So the state lives in a file of fixed size that is
allocated once and then overwritten in place: rewriting blocks a file already owns needs no free space.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

STATE_NAME = "uploader-state.json"
SIZE = 4096

# The states, in words staff see.
SENDING = "sending"  # idle or sending: all is well
CENTRE_UNREACHABLE = "centre-unreachable"  # the circuit breaker is open: one probe per backoff step
STORAGE_ERROR = "storage-error"  # the queue database or disk failed; retrying by itself
STOPPED = "stopped"


@dataclass(frozen=True)
class UploaderState:
    state: str
    detail: str
    since: float  # wall-clock seconds when this state began
    updated_at: float  # wall-clock seconds of the last write (a stale file means no uploader runs)
    consecutive_failures: int = 0
    pid: int = 0

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class StateFile:
    """One uploader's state, written in place; reading it never raises (None when absent or unreadable)."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / STATE_NAME

    def write(self, state: UploaderState) -> bool:
        """Overwrite the state; False (never an exception) when even that is impossible."""
        text = json.dumps(state.to_dict(), ensure_ascii=False).encode()[: SIZE - 1]
        body = text + b"\n" + b" " * (SIZE - len(text) - 1)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return False
        try:
            if os.fstat(fd).st_size < SIZE:
                with contextlib.suppress(OSError):
                    os.posix_fallocate(fd, 0, SIZE)
            os.pwrite(fd, body, 0)
            return True
        except OSError:
            return False
        finally:
            os.close(fd)

    def read(self) -> UploaderState | None:
        try:
            raw = self.path.read_bytes()
            doc = json.loads(raw.decode().strip() or "null")
            return UploaderState(**doc) if isinstance(doc, dict) else None
        except (OSError, ValueError, TypeError):
            return None


def describe(state: UploaderState | None, now: float | None = None, stale_after_s: float = 600.0) -> str:
    """One line for ``queue status`` and the staff console."""
    if state is None:
        return "no state recorded (the uploader has not run yet)"
    now = time.time() if now is None else now
    if state.state == STOPPED:
        return "stopped"
    if now - state.updated_at > stale_after_s:
        return f"not running? last heard {now - state.updated_at:.0f} s ago ({state.state}: {state.detail})"
    return f"{state.state}: {state.detail}" if state.detail else state.state
