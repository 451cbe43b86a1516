"""Make the queue's rows and the envelope files on disk agree again, after a crash or a power cut.

Also what rebuilds a damaged database: an empty table reconciled against the folder queues every
envelope again, since each names its capture in its header.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from kiosk.queue.folder import EnvelopeFolder
from kiosk.queue.states import WAITING, QueueState
from kiosk.queue.store import NewRow, QueueStore
from kiosk.storage.sealing import EnvelopeError, parse_header, sha256_hex

log = logging.getLogger(__name__)

MISSING_FILE = "envelope file is missing from the outbox"


@dataclass
class ReconcileReport:
    """What reconciliation found and did (counts, for the log and the tests)."""

    requeued_uploading: int = 0
    adopted_files: int = 0
    quarantined_files: int = 0
    missing_files: int = 0
    removed_temp_files: int = 0
    left_young_files: int = 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def reconcile(
    store: QueueStore, folder: EnvelopeFolder, *, orphan_grace_s: float, reset_uploading: bool = True
) -> ReconcileReport:
    """Make files and rows agree again.

    * rows left ``uploading`` go back to ``pending`` (only the single uploader should ask for this);
    * a waiting row whose file is gone is quarantined with the reason;
    * a settled row (done or voided) whose file is gone is marked as having lost its file;
    * an envelope without a row is queued if its header parses and matches its name, else
      quarantined; files younger than ``orphan_grace_s`` are left for next time, since the booth
      may be between writing one and committing its row;
    * temp files from interrupted writes are removed.
    """
    report = ReconcileReport()
    now = store.now()
    if reset_uploading:
        report.requeued_uploading = store.move_all(
            QueueState.UPLOADING, QueueState.PENDING, next_attempt_at=now, updated_at=now
        )
    wall_now = time.time()
    for path in folder.temp_files():
        if _age(path, wall_now) >= orphan_grace_s:
            with contextlib.suppress(OSError):
                path.unlink()
                report.removed_temp_files += 1
    files = folder.envelopes()
    known: set[str] = set()
    for row in store.query("SELECT capture_id, state, file_deleted_at FROM envelopes"):
        cid = row["capture_id"]
        known.add(cid)
        if cid in files:
            continue
        state = QueueState(row["state"])
        if state in WAITING:
            store.quarantine(cid, MISSING_FILE)
            log.error("capture %s quarantined: %s", cid, MISSING_FILE)
            report.missing_files += 1
        elif state in (QueueState.DONE, QueueState.VOIDED) and row["file_deleted_at"] is None:
            store.set_file_deleted(cid, now)
    for stem, path in sorted(files.items()):
        if stem in known:
            continue
        if _age(path, wall_now) < orphan_grace_s:
            report.left_young_files += 1
            continue
        if _adopt(store, stem, path, now):
            report.adopted_files += 1
        else:
            report.quarantined_files += 1
    if any(asdict(report).values()):
        log.info("outbox reconciled: %s", report.to_dict())
    return report


def _age(path: Path, now: float) -> float:
    try:
        return now - path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _adopt(store: QueueStore, stem: str, path: Path, now: float) -> bool:
    """Queue an envelope that has no row; quarantine it if it is not a readable envelope."""
    try:
        data = path.read_bytes()
        mtime = path.stat().st_mtime
    except OSError:
        return False
    reason = None
    kiosk_id = ""
    try:
        header, _ = parse_header(data)
        kiosk_id = header.kiosk_id
        if header.capture_id != stem:
            reason = "file name does not match the capture id in its header"
    except EnvelopeError as exc:
        reason = f"envelope found without a queue row and its header does not parse: {exc}"
    day = time.strftime("%Y-%m-%d", time.localtime(mtime))
    state = QueueState.PENDING if reason is None else QueueState.QUARANTINED
    store.insert(
        NewRow(stem, kiosk_id, day, sha256_hex(data), len(data), state=state, reason=reason, created_at=min(mtime, now))
    )
    if reason:
        log.error("envelope %s quarantined: %s", path.name, reason)
    else:
        log.warning("capture %s re-queued from a file without a queue row", stem)
    return reason is None
