"""The uploader: drains the outbox to the target, one capture at a time, in its own process.

Why one process of its own: a slow or dead network must never stall the booth, and the uploader can
be killed at any instant (power cut, OOM, ``kill -9``) without harm. Each capture is marked
``uploading`` before it is sent; after a crash reconciliation sets it back to ``pending`` and it is sent
again with the same Idempotency-Key, which the centre answers with "already stored".

Only one uploader may run per data folder; an exclusive lock file makes a second one stop at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from kiosk.outbox import Entry, Outbox, OutboxError
from kiosk.upload.outcome import Action, Outcome, Target, UploadItem

log = logging.getLogger(__name__)


class UploaderBusy(RuntimeError):
    """Another uploader already holds this data folder."""


@contextlib.contextmanager
def uploader_lock(outbox: Outbox) -> Iterator[None]:
    path = outbox.dir / ".uploader.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UploaderBusy(f"another uploader is already running for {outbox.data_dir}") from None
        yield
    finally:
        os.close(fd)


@dataclass
class PassSummary:
    """What one pass (``--once``) did."""

    counts: Counter[str] = field(default_factory=Counter)

    def add(self, outcome: Outcome) -> None:
        self.counts[outcome.action.value] += 1

    @property
    def sent(self) -> int:
        return sum(self.counts.values())

    @property
    def all_done(self) -> bool:
        return self.counts.keys() <= {Action.DONE.value}


@dataclass(frozen=True)
class Attempt:
    """One send and how long its capture now waits."""

    outcome: Outcome
    wait_s: float

    @property
    def must_wait(self) -> bool:
        return self.outcome.action in (Action.RETRY, Action.RETRY_SLOW)


class Uploader:
    def __init__(
        self,
        outbox: Outbox,
        target: Target,
        *,
        poll_s: float = 5.0,
        reconcile_every_s: float = 300.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.outbox = outbox
        self.target = target
        self.poll_s = poll_s
        self.reconcile_every_s = reconcile_every_s
        self._monotonic = monotonic

    def process(self, entry: Entry) -> Attempt:
        """Send one claimed capture and settle its row according to the answer."""
        try:
            body = self.outbox.read_envelope(entry)
        except OutboxError as exc:
            outcome = Outcome(Action.QUARANTINE, str(exc))
        else:
            item = UploadItem(entry.capture_id, entry.kiosk_id, entry.day, entry.sha256, entry.size)
            try:
                outcome = self.target.put(item, body)
            except Exception as exc:  # a target bug must not stop the queue; the row is retried
                log.exception("capture %s: unexpected error while sending", entry.capture_id)
                outcome = Outcome(Action.RETRY, f"unexpected error ({type(exc).__name__})")
        return Attempt(outcome, self.settle(entry.capture_id, outcome))

    def settle(self, capture_id: str, outcome: Outcome) -> float:
        """Record the outcome; return how long this capture now waits (0 when it is settled for good)."""
        if outcome.action is Action.DONE:
            self.outbox.mark_done(capture_id, outcome.detail)
            return 0.0
        if outcome.action is Action.QUARANTINE:
            self.outbox.quarantine(capture_id, outcome.detail)
            return 0.0
        slow = outcome.action is Action.RETRY_SLOW
        return self.outbox.mark_retry(capture_id, outcome.detail, slow=slow, retry_after=outcome.retry_after)

    def housekeeping(self) -> None:
        self.outbox.reconcile()
        self.outbox.purge_expired()

    def run_once(self, stop: threading.Event | None = None) -> PassSummary:
        """Reconcile, then send every capture due now.

        The pass ends at the first capture that has to wait (network down, centre busy, token refused):
        the others would only meet the same answer.
        """
        stop = stop or threading.Event()
        self.housekeeping()
        cutoff = self.outbox.now()
        summary = PassSummary()
        while not stop.is_set():
            entry = self.outbox.claim(cutoff)
            if entry is None:
                break
            attempt = self.process(entry)
            summary.add(attempt.outcome)
            if attempt.must_wait:
                break
        return summary

    def run_forever(self, stop: threading.Event) -> None:
        """Send captures as they become due until ``stop`` is set (SIGTERM from systemd).

        After a capture has to wait, the whole uploader waits as long (a circuit breaker): when the
        network or the centre is down, a queue of thousands makes one attempt per backoff step, not
        thousands. Captures are claimed oldest-due first, so one capture that keeps failing does not hold
        back the rest.
        """
        log.info("uploader started: sending to %s", self.target.description)
        last_housekeeping = -float("inf")
        while not stop.is_set():
            if self._monotonic() - last_housekeeping >= self.reconcile_every_s:
                self.housekeeping()
                last_housekeeping = self._monotonic()
            entry = self.outbox.claim()
            if entry is not None:
                attempt = self.process(entry)
                if attempt.must_wait:
                    stop.wait(attempt.wait_s)
                continue
            due = self.outbox.next_due_at()
            wait = self.poll_s if due is None else min(self.poll_s, max(0.0, due - self.outbox.now()))
            stop.wait(max(wait, 0.01))
        log.info("uploader stopped")
