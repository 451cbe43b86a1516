"""The outbox: sealed captures waiting on the SD card until the centre has confirmed each one.

This is the one object the booth, the uploader, the staff console and the CLI hold. It opens the
queue of one data folder and hands each job to its module:

* :mod:`kiosk.queue.submit`: the booth seals and queues a capture, durably, before the student is told;
* :mod:`kiosk.queue.store`: the table; the uploader claims a due capture and settles it;
* :mod:`kiosk.queue.states`: the states and the only moves between them;
* :mod:`kiosk.queue.reconcile` and :mod:`kiosk.queue.retention`: files and rows agree after a crash,
  and settled files go after ``retention_days``;
* :mod:`kiosk.queue.database`: a damaged database is moved aside and rebuilt from the envelopes;
* :mod:`kiosk.queue.staff`: retry and void; :mod:`kiosk.queue.export`: copying to a USB stick;
* :mod:`kiosk.queue.status`: what staff and monitoring see.

The booth asks :meth:`Outbox.free_ok` before a session: below the watermark it refuses new students
rather than accept a photo it may not be able to keep. The booth process calls :meth:`Outbox.submit`;
the uploader process claims and settles rows. Both open the same database; nothing is shared in memory.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from kiosk.core.capture import AcceptedCapture
from kiosk.core.config import Config
from kiosk.core.files import atomic_write
from kiosk.queue import export as _export
from kiosk.queue import staff as _staff
from kiosk.queue import submit as _submit
from kiosk.queue.backoff import Backoff
from kiosk.queue.database import REBUILT_NAME, RebuildNotice, is_corruption, open_queue_database, read_rebuild_notice
from kiosk.queue.errors import OutboxError
from kiosk.queue.folder import EnvelopeFolder
from kiosk.queue.reconcile import ReconcileReport, reconcile
from kiosk.queue.retention import purge_expired
from kiosk.queue.schema import MIGRATIONS, Entry
from kiosk.queue.states import IllegalTransition, QueueState
from kiosk.queue.status import MB, QueueStatus, queue_status
from kiosk.queue.store import QueueStore
from kiosk.queue.submit import Writer
from kiosk.storage.sealing import load_public_key

log = logging.getLogger(__name__)

__all__ = [
    "MB",
    "MIGRATIONS",
    "REBUILT_NAME",
    "Backoff",
    "Entry",
    "IllegalTransition",
    "Outbox",
    "OutboxError",
    "QueueState",
    "QueueStatus",
    "RebuildNotice",
    "ReconcileReport",
    "Writer",
    "centre_key_path",
    "is_corruption",
]


def centre_key_path(config: Config) -> Path:
    """``upload.centre_public_key``, or centre.pub in the data folder."""
    if config.upload.centre_public_key:
        return Path(config.upload.centre_public_key).expanduser()
    return config.data_dir / "centre.pub"


class Outbox:
    """The durable, sealed upload queue of one data folder (implements ``CaptureSink``)."""

    def __init__(
        self,
        data_dir: Path | str,
        centre_public_key: X25519PublicKey | None,
        kiosk_id: str,
        *,
        min_free_mb: int = 500,
        retention_days: float = 30,
        backoff: Backoff | None = None,
        writer: Writer = atomic_write,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        orphan_grace_s: float = 120.0,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.folder = EnvelopeFolder(self.data_dir / "outbox")
        self.dir = self.folder.path
        self.db_path = self.data_dir / "outbox.sqlite"
        self.kiosk_id = kiosk_id
        self.min_free_mb = min_free_mb
        self.retention_s = retention_days * 86400.0
        self.orphan_grace_s = orphan_grace_s
        self._key = centre_public_key
        self._writer = writer
        self._clock = clock
        store_kw: dict[str, Any] = {
            "clock": clock,
            "backoff": backoff or Backoff(),
            "rng": rng or random.Random(),
            "lock": threading.RLock(),
        }

        def refill(conn: Any) -> tuple[int, int]:
            report = reconcile(QueueStore(conn, **store_kw), self.folder, orphan_grace_s=0.0, reset_uploading=False)
            return report.adopted_files, report.quarantined_files

        self.store = QueueStore(open_queue_database(self.db_path, self.dir, clock, refill), **store_kw)

    @classmethod
    def from_config(cls, config: Config, *, need_key: bool = True, **kwargs: Any) -> Outbox:
        """The outbox of ``config``'s data folder; ``need_key=False`` for processes that only send."""
        key = load_public_key(centre_key_path(config)) if need_key else None
        up = config.upload
        kwargs.setdefault("backoff", Backoff(min_s=up.backoff_min_s, max_s=up.backoff_max_s, slow_s=up.slow_retry_s))
        return cls(
            config.data_dir,
            key,
            config.kiosk.id,
            min_free_mb=up.min_free_mb,
            retention_days=up.retention_days,
            **kwargs,
        )

    # --- life cycle -------------------------------------------------------------------------------

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def backoff(self) -> Backoff:
        return self.store.backoff

    def now(self) -> float:
        """Wall-clock seconds as the queue records them (persisted, so not monotonic)."""
        return self._clock()

    def path_for(self, capture_id: str) -> Path:
        return self.folder.path_for(capture_id)

    def rebuild_notice(self) -> RebuildNotice | None:
        """The last rebuild of a damaged queue database, for staff (None if there has been none)."""
        return read_rebuild_notice(self.dir)

    # --- the booth's side ---------------------------------------------------------------------------

    def free_bytes(self) -> int:
        return self.folder.free_bytes()

    def free_ok(self) -> bool:
        """Is there room for another session? False below ``min_free_mb``: refuse new students."""
        return self.free_bytes() >= self.min_free_mb * MB

    def submit(self, capture: AcceptedCapture) -> None:
        """Seal ``capture`` and queue it; returns once both envelope and row survive a power cut."""
        _submit.submit(self.store, self.folder, self._key, self._writer, capture)

    def holds(self, capture_id: str) -> bool:
        """Is ``capture_id`` queued, or its complete envelope on disk waiting for reconciliation?"""
        return _submit.holds(self.store, self.folder, capture_id)

    # --- the uploader's side ------------------------------------------------------------------------

    def claim(self, cutoff: float | None = None) -> Entry | None:
        """Take the next due pending capture and mark it ``uploading`` (committed before any transfer)."""
        return self.store.claim(cutoff)

    def read_envelope(self, entry: Entry) -> bytes:
        """The envelope's bytes, checked against the sha256 recorded when it was queued."""
        return self.folder.read_checked(entry)

    def mark_done(self, capture_id: str, detail: str = "stored") -> None:
        if self.store.mark_done(capture_id):
            log.info("capture %s done: %s", capture_id, detail)
        else:
            log.warning(
                "capture %s: the centre's answer (%s) came after it was settled; left as it is", capture_id, detail
            )
        if self.retention_s <= 0:
            self.purge_expired()

    def mark_retry(self, capture_id: str, error: str, *, slow: bool = False, retry_after: float | None = None) -> float:
        """Put a capture back to ``pending`` after a failed attempt; return the wait in seconds."""
        wait = self.store.mark_retry(capture_id, error, slow=slow, retry_after=retry_after)
        log.warning("capture %s: %s; next try in %.0f s", capture_id, error, wait)
        return wait

    def quarantine(self, capture_id: str, reason: str) -> None:
        """Stop trying a capture; keep its file; staff decide (``kiosk queue retry``)."""
        if self.store.quarantine(capture_id, reason):
            log.error("capture %s quarantined: %s", capture_id, reason)
        else:
            log.warning("capture %s is settled (done or voided) and stays so: %s", capture_id, reason)

    def next_due_at(self) -> float | None:
        return self.store.next_due_at()

    # --- reconciliation and retention ---------------------------------------------------------------

    def reconcile(self, *, reset_uploading: bool = True) -> ReconcileReport:
        """Make files and rows agree again after a crash or a power cut (see kiosk.queue.reconcile)."""
        return reconcile(self.store, self.folder, orphan_grace_s=self.orphan_grace_s, reset_uploading=reset_uploading)

    def purge_expired(self) -> int:
        """Delete local envelopes ``retention_days`` after they were settled; rows stay as the record."""
        return purge_expired(self.store, self.folder, self.retention_s)

    # --- for staff ----------------------------------------------------------------------------------

    def get(self, capture_id: str) -> Entry | None:
        return self.store.get(capture_id)

    def entries(self, *states: QueueState | str) -> list[Entry]:
        """Rows in any of ``states`` (every row when none is named), oldest first."""
        return self.store.entries(*states)

    def status(self) -> QueueStatus:
        return queue_status(self.store, self.folder, min_free_mb=self.min_free_mb, notice=self.rebuild_notice())

    def retry(self, capture_id: str) -> None:
        """Send a quarantined (or waiting) capture again now, once staff have fixed the cause."""
        _staff.retry(self.store, self.folder, capture_id)

    def retry_all_quarantined(self) -> list[str]:
        return _staff.retry_all_quarantined(self.store, self.folder)

    def void(self, capture_id: str, reason: str) -> str:
        """Withdraw a capture staff voided: ``"withdrawn"``, ``"already_sent"`` or ``"not_queued"``."""
        return _staff.void(self.store, capture_id, reason)

    def export(self, to_dir: Path, include_quarantined: bool = False) -> list[str]:
        """Copy waiting envelopes (sealed, as they are) to ``to_dir``, e.g. a USB stick for the centre."""
        return _export.export(self.store, self.folder, to_dir, include_quarantined)
