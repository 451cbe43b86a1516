"""What ``kiosk queue status``, the staff console and the metrics show about the queue."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from kiosk.queue.database import RebuildNotice
from kiosk.queue.folder import EnvelopeFolder
from kiosk.queue.states import WAITING, QueueState, sql_list
from kiosk.queue.store import QueueStore

MB = 1024 * 1024

# The states ``counts`` reports, one key each: the life of a capture on its way to the centre.
# Captures staff voided never go there; they are counted apart (``QueueStatus.voided``).
COUNTED = (QueueState.PENDING, QueueState.UPLOADING, QueueState.DONE, QueueState.QUARANTINED)


@dataclass(frozen=True)
class QueueStatus:
    """What ``kiosk queue status`` shows."""

    counts: dict[str, int]
    oldest_pending_age_s: float | None
    next_attempt_in_s: float | None
    last_error: str | None
    last_error_capture: str | None
    last_error_age_s: float | None
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    voided: int = 0  # captures staff withdrew before they were sent
    free_mb: float = 0.0
    min_free_mb: int = 0
    free_ok: bool = True
    rebuilt: dict[str, Any] | None = None  # the last rebuild of a damaged queue database (RebuildNotice)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def queue_status(
    store: QueueStore, folder: EnvelopeFolder, *, min_free_mb: int, notice: RebuildNotice | None
) -> QueueStatus:
    now = store.now()
    by_state = store.counts()
    oldest = store.query(f"SELECT MIN(created_at) FROM envelopes WHERE state IN ({sql_list(WAITING)})")[0][0]
    due = store.next_due_at()
    errors = store.query(
        "SELECT capture_id, last_error, last_error_at FROM envelopes WHERE last_error IS NOT NULL"
        f" AND state IN ({sql_list((*WAITING, QueueState.QUARANTINED))}) ORDER BY last_error_at DESC LIMIT 1"
    )
    err = errors[0] if errors else None
    quarantined = [
        {"capture_id": r["capture_id"], "reason": r["reason"], "since": r["updated_at"]}
        for r in store.query(
            "SELECT capture_id, reason, updated_at FROM envelopes WHERE state = ? ORDER BY updated_at DESC LIMIT 50",
            (QueueState.QUARANTINED.value,),
        )
    ]
    free_mb = folder.free_bytes() / MB
    return QueueStatus(
        counts={s.value: by_state[s] for s in COUNTED},
        oldest_pending_age_s=None if oldest is None else max(0.0, now - oldest),
        next_attempt_in_s=None if due is None else max(0.0, due - now),
        last_error=err["last_error"] if err else None,
        last_error_capture=err["capture_id"] if err else None,
        last_error_age_s=max(0.0, now - err["last_error_at"]) if err and err["last_error_at"] else None,
        quarantined=quarantined,
        voided=by_state[QueueState.VOIDED],
        free_mb=round(free_mb, 1),
        min_free_mb=min_free_mb,
        free_ok=free_mb >= min_free_mb,
        rebuilt=None if notice is None else asdict(notice),
    )
