"""The states a queued capture can be in, and the only moves between them.

Every change of a row's state goes through :func:`check_transition`, so :data:`TRANSITIONS` is the
whole story of a capture's life in the queue (``docs/upload-queue.md`` draws it): a new row starts
``pending`` (or ``quarantined`` when reconciliation finds an unreadable envelope); the uploader claims it
(``uploading``) and settles it as ``done``, back to ``pending`` to wait, or ``quarantined``; staff send a
quarantined one again (``pending``) or void a waiting or quarantined one (``voided``).

``done`` and ``voided`` are final: nothing moves a row out of them, so a capture the centre has, or one
staff withdrew, is never claimed, retried or quarantined again. The values are the text stored in the
``state`` column and shown in JSON, so the enum is ``str``-valued.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from kiosk.queue.errors import OutboxError


class QueueState(StrEnum):
    PENDING = "pending"  # waiting to be sent (perhaps not before next_attempt_at)
    UPLOADING = "uploading"  # claimed by the uploader; committed before the transfer starts
    DONE = "done"  # the centre confirmed it
    QUARANTINED = "quarantined"  # not sent again until staff look at it
    VOIDED = "voided"  # withdrawn by staff before it was sent; never sent


# The states a new row may start in: a submitted capture, or an envelope adopted by reconciliation
# (quarantined when its header does not read).
INITIAL: frozenset[QueueState] = frozenset({QueueState.PENDING, QueueState.QUARANTINED})

# state -> the states it may move to. Moving to the same state is listed where an operation does it:
# staff "retry now" on a waiting capture, a new reason for a quarantined one.
TRANSITIONS: dict[QueueState, frozenset[QueueState]] = {
    QueueState.PENDING: frozenset(
        {
            QueueState.PENDING,  # staff retry: send now
            QueueState.UPLOADING,  # the uploader claims it
            QueueState.DONE,  # settled without a claim (a late answer for a capture put back to pending)
            QueueState.QUARANTINED,  # its file is missing, or a late refusal
            QueueState.VOIDED,  # staff withdrew it
        }
    ),
    QueueState.UPLOADING: frozenset(
        {
            QueueState.PENDING,  # failed attempt, uploader restarted, or staff retry
            QueueState.DONE,  # the centre confirmed it
            QueueState.QUARANTINED,  # the centre refused it, or its file is unreadable
        }
    ),
    QueueState.QUARANTINED: frozenset(
        {
            QueueState.PENDING,  # staff retry once the cause is fixed
            QueueState.QUARANTINED,  # a new reason
            QueueState.VOIDED,  # staff withdrew it
        }
    ),
    QueueState.DONE: frozenset(),
    QueueState.VOIDED: frozenset(),
}

WAITING: tuple[QueueState, ...] = (QueueState.PENDING, QueueState.UPLOADING)  # not yet with the centre
FINAL: frozenset[QueueState] = frozenset(s for s, targets in TRANSITIONS.items() if not targets)


class IllegalTransition(OutboxError):
    """A state change the table above does not allow; the row is left as it was."""


def allowed(source: QueueState | None, target: QueueState) -> bool:
    """May a row in ``source`` (None: no row yet) move to ``target``?"""
    if source is None:
        return target in INITIAL
    return target in TRANSITIONS[source]


def check_transition(source: QueueState | str | None, target: QueueState | str, capture_id: str = "") -> None:
    """Raise :class:`IllegalTransition` unless ``source`` may move to ``target``."""
    src = None if source is None else QueueState(source)
    dst = QueueState(target)
    if not allowed(src, dst):
        what = f"capture {capture_id}: " if capture_id else ""
        raise IllegalTransition(f"{what}a queue entry cannot go from {src or 'nothing'} to {dst}")


def sources_of(target: QueueState) -> frozenset[QueueState]:
    """Every state from which a row may move to ``target``."""
    return frozenset(s for s, targets in TRANSITIONS.items() if target in targets)


def sql_list(states: Iterable[QueueState]) -> str:
    """``'pending', 'uploading'``: states as SQL literals (they are enum values, never user text)."""
    return ", ".join(f"'{QueueState(s).value}'" for s in states)
