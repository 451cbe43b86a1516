"""What staff may do to a queued capture: send it again now, or withdraw it (void) before it is sent."""

from __future__ import annotations

import logging

from kiosk.queue.errors import OutboxError
from kiosk.queue.folder import EnvelopeFolder
from kiosk.queue.states import QueueState
from kiosk.queue.store import QueueStore
from kiosk.storage.sealing import EnvelopeError, read_header_file

log = logging.getLogger(__name__)

# What Outbox.void says about where the capture stood (kiosk.staff.voids records it).
WITHDRAWN = "withdrawn"
ALREADY_SENT = "already_sent"
NOT_QUEUED = "not_queued"

# A capture still here may be withdrawn: it has not reached the centre.
VOIDABLE = (QueueState.PENDING, QueueState.QUARANTINED)


def retry(store: QueueStore, folder: EnvelopeFolder, capture_id: str) -> None:
    """Send a quarantined (or waiting) capture again now, once staff have fixed the cause."""
    entry = store.get(capture_id)
    if entry is None:
        raise OutboxError(f"no capture {capture_id} in the queue")
    if entry.state is QueueState.DONE:
        raise OutboxError(f"capture {capture_id} is already done")
    if entry.state is QueueState.VOIDED:
        raise OutboxError(f"capture {capture_id} was voided by staff; it is never sent")
    path = folder.path_for(capture_id)
    if not path.exists():
        raise OutboxError(f"capture {capture_id}: its envelope file is missing, nothing to send")
    if entry.state is QueueState.QUARANTINED:
        try:
            header = read_header_file(path)
        except (EnvelopeError, OSError) as exc:
            raise OutboxError(f"capture {capture_id}: not a readable envelope ({exc})") from None
        if header.capture_id != capture_id:
            raise OutboxError(f"capture {capture_id}: file name does not match its header")
    sha256, size = folder.digest(capture_id)
    now = store.now()
    with store.tx() as db:
        store.move(
            db,
            capture_id,
            QueueState.PENDING,
            next_attempt_at=now,
            reason=None,
            updated_at=now,
            sha256=sha256,
            size=size,
        )
    log.info("capture %s set to retry now", capture_id)


def retry_all_quarantined(store: QueueStore, folder: EnvelopeFolder) -> list[str]:
    """Retry every quarantined capture that can be; return those set to go."""
    done: list[str] = []
    for entry in store.entries(QueueState.QUARANTINED):
        try:
            retry(store, folder, entry.capture_id)
            done.append(entry.capture_id)
        except OutboxError as exc:
            log.warning("%s", exc)
    return done


def void(store: QueueStore, capture_id: str, reason: str) -> str:
    """Withdraw a capture that staff voided, so that it is never sent; say where it stood.

    A capture still waiting (``pending`` or ``quarantined``) moves to ``voided`` at once, with staff's
    ``reason``: the uploader never claims it, ``retry`` refuses it, and its sealed file goes with the
    usual retention. Returns ``"withdrawn"`` then, and also for one voided before (voiding again, after
    a crash between the queue and the records, finishes the job). A capture ``done`` or ``uploading``
    has reached (or is reaching) the centre and is left alone: ``"already_sent"``, and the centre must
    be told by other means. ``"not_queued"`` when the queue never held it. One transaction, so an
    uploader claiming at the same moment cannot race it.
    """
    now = store.now()
    with store.tx() as db:
        before = store.move(
            db, capture_id, QueueState.VOIDED, only_from=VOIDABLE, done_at=now, updated_at=now, reason=reason
        )
    if before is None:
        return NOT_QUEUED
    if before in VOIDABLE:
        log.info("capture %s withdrawn from the queue: voided by staff", capture_id)
        return WITHDRAWN
    return WITHDRAWN if before is QueueState.VOIDED else ALREADY_SENT
