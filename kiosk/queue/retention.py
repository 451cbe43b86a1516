"""Deleting the local copy of a settled capture once it has been kept long enough.

A file is deleted only ``retention_days`` after the capture was settled for good (the centre confirmed
it, or staff voided it), never for a waiting or quarantined capture. The row stays as the record.
"""

from __future__ import annotations

import contextlib

from kiosk.core.files import fsync_dir
from kiosk.queue.folder import EnvelopeFolder
from kiosk.queue.states import FINAL, sql_list
from kiosk.queue.store import QueueStore


def purge_expired(store: QueueStore, folder: EnvelopeFolder, retention_s: float) -> int:
    """Delete envelopes settled at least ``retention_s`` ago; return how many."""
    now = store.now()
    rows = store.query(
        f"SELECT capture_id FROM envelopes WHERE state IN ({sql_list(sorted(FINAL))})"
        " AND file_deleted_at IS NULL AND done_at <= ?",
        (now - retention_s,),
    )
    for row in rows:
        with contextlib.suppress(FileNotFoundError):
            folder.path_for(row["capture_id"]).unlink()
        store.set_file_deleted(row["capture_id"], now)
    if rows:
        fsync_dir(folder.path)
    return len(rows)
