"""The booth's side of the queue: seal an accepted capture and keep it until the centre has it.

A capture is accepted only once it would survive a power cut: the envelope is written atomically
(temp, fsync, rename) and only then its row is committed (SQLite WAL, ``synchronous=FULL``). A crash
between the two leaves a file without a row, which reconciliation re-queues.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from kiosk.core.capture import AcceptedCapture
from kiosk.core.files import fsync_dir
from kiosk.queue.errors import OutboxError
from kiosk.queue.folder import EnvelopeFolder
from kiosk.queue.store import NewRow, QueueStore
from kiosk.storage.sealing import seal_capture, sha256_hex

log = logging.getLogger(__name__)

Writer = Callable[[Path, bytes], Any]


def submit(
    store: QueueStore,
    folder: EnvelopeFolder,
    key: X25519PublicKey | None,
    writer: Writer,
    capture: AcceptedCapture,
) -> None:
    """Seal ``capture``, write its envelope durably, then commit its row.

    Returns only once both survive a power cut. Submitting the same capture id again is a no-op. On
    any failure (ENOSPC included) nothing of this capture remains and earlier captures are untouched;
    the error is raised for the booth to apologise.
    """
    if key is None:
        raise OutboxError("no centre public key: this outbox can queue no new capture")
    cid = capture.capture_id
    if store.get(cid) is not None:
        log.info("capture %s is already queued", cid)
        return
    path = folder.path_for(cid)
    data = folder.existing(cid)  # written before a crash whose row never committed: keep, do not reseal
    wrote = False
    if data is None:
        data = seal_capture(capture, key)
        writer(path, data)
        wrote = True
    row = NewRow(cid, capture.kiosk_id, capture.taken_at.date().isoformat(), sha256_hex(data), len(data))
    try:
        store.insert(row)
    except sqlite3.Error:
        if wrote:
            with contextlib.suppress(OSError):
                path.unlink()
                fsync_dir(folder.path)
        raise
    log.info("capture %s queued (%d bytes)", cid, len(data))


def holds(store: QueueStore, folder: EnvelopeFolder, capture_id: str) -> bool:
    """Is ``capture_id`` queued, or its complete envelope on disk waiting for reconciliation?

    The booth asks this at start for every passing capture its records do not mark accepted: a crash
    between the queue's commit and the booth's own mark must not let the student be taken again.
    """
    return store.get(capture_id) is not None or folder.existing(capture_id) is not None
