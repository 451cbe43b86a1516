"""Carrying waiting envelopes to the centre by hand (a USB stick) when the booth has no network.

The queue is not changed: the centre deduplicates by capture id, so a capture that later also arrives
over the network is stored once. The stick holds only sealed files, so losing it exposes nothing.
"""

from __future__ import annotations

import errno
from pathlib import Path

from kiosk.core.files import atomic_write
from kiosk.queue.errors import OutboxError
from kiosk.queue.folder import EnvelopeFolder
from kiosk.queue.states import WAITING, QueueState
from kiosk.queue.store import QueueStore
from kiosk.storage.sealing import sha256_hex


def export(store: QueueStore, folder: EnvelopeFolder, to_dir: Path, include_quarantined: bool = False) -> list[str]:
    """Copy waiting envelopes (sealed, as they are) to ``to_dir``; return the capture ids copied.

    Done and voided captures are never exported; quarantined ones only when asked.
    """
    to_dir = Path(to_dir)
    if not to_dir.is_dir():
        raise OutboxError(f"{to_dir}: no such folder (is the USB stick mounted?)")
    states = (*WAITING, QueueState.QUARANTINED) if include_quarantined else WAITING
    copied: list[str] = []
    for entry in store.entries(*states):
        src = folder.path_for(entry.capture_id)
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
