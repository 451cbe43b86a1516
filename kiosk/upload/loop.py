"""The uploader: drains the outbox to the target, one capture at a time, in its own process.

Why one process of its own: a slow or dead network must never stall the booth, and the uploader can
be killed at any instant (power cut, OOM, ``kill -9``) without harm. Each capture is marked
``uploading`` before it is sent; after a crash reconciliation sets it back to ``pending`` and it is sent
again with the same Idempotency-Key, which the centre answers with "already stored".

Only one uploader may run per data folder; an exclusive lock file makes a second one stop at once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from kiosk.core.folderlock import FolderBusy
from kiosk.core.folderlock import uploader_lock as data_folder_uploader_lock
from kiosk.queue.outbox import Backoff, Entry, Outbox, OutboxError, is_corruption
from kiosk.upload.outcome import Action, Outcome, Target, UploadItem
from kiosk.upload.state import CENTRE_UNREACHABLE, SENDING, STOPPED, STORAGE_ERROR, StateFile, UploaderState

HEARTBEAT_S = 60.0

log = logging.getLogger(__name__)


# Another uploader already holds this data folder (the message names its pid and command).
UploaderBusy = FolderBusy


@contextlib.contextmanager
def uploader_lock(outbox: Outbox) -> Iterator[None]:
    """One uploader per data folder (``kiosk uploader`` or a demo's own), whatever booth runs beside it."""
    with data_folder_uploader_lock(outbox.data_dir):
        yield


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


@dataclass
class Breaker:
    """The uploader's circuit breaker: when the centre keeps failing, the whole uploader waits.

    Each capture has its own backoff, but a dead centre fails every capture alike: with hundreds queued,
    per-capture waits alone would make attempts grow with the queue. After ``threshold`` consecutive
    failed sends the breaker opens and the uploader makes one probe per backoff step (its own
    exponential steps, ``Backoff`` of the queue, Retry-After honoured); the first success closes it.
    """

    backoff: Backoff
    rng: random.Random
    threshold: int = 3
    failures: int = 0
    next_probe_at: float = 0.0  # on the uploader's monotonic clock

    @property
    def open(self) -> bool:
        return self.failures >= self.threshold

    def wait_s(self, now: float) -> float:
        return max(0.0, self.next_probe_at - now) if self.open else 0.0

    def failure(self, now: float, retry_after: float | None = None) -> float:
        """Count a failed send; return how long the uploader now waits before its next one."""
        self.failures += 1
        if not self.open:
            return 0.0
        wait = self.backoff.delay(self.failures - self.threshold + 1, self.rng, retry_after=retry_after)
        self.next_probe_at = now + wait
        return wait

    def success(self) -> bool:
        """Close the breaker; True if it was open."""
        was_open = self.open
        self.failures = 0
        self.next_probe_at = 0.0
        return was_open


class Uploader:
    def __init__(
        self,
        outbox: Outbox,
        target: Target,
        *,
        poll_s: float = 5.0,
        reconcile_every_s: float = 300.0,
        monotonic: Callable[[], float] = time.monotonic,
        breaker_threshold: int = 3,
        state_file: StateFile | None = None,
        sleep: Callable[[threading.Event, float], object] | None = None,
        rng: random.Random | None = None,
        notify: Callable[[str], object] | None = None,
    ) -> None:
        self.outbox = outbox
        self.target = target
        self.poll_s = poll_s
        self.reconcile_every_s = reconcile_every_s
        self._monotonic = monotonic
        self.breaker = Breaker(outbox.backoff, rng or random.Random(), breaker_threshold)
        self.state_file = state_file
        self._sleep = sleep or (lambda stop, seconds: stop.wait(seconds))
        self._notify = notify
        self._state: tuple[str, str] | None = None
        self._detail = ""
        self._state_since = 0.0
        self._state_written = -float("inf")

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

        Never ends on a fault: a centre that does not answer opens the circuit breaker (one probe per
        backoff step, however long the queue); a queue database or disk that fails ("database or disk is
        full") is retried with growing waits, said in the state file, the log and ``systemctl status``,
        and sending resumes by itself when space returns. Captures are claimed oldest-due first, so one
        capture that keeps failing does not hold back the rest.
        """
        log.info("uploader started: sending to %s", self.target.description)
        last_housekeeping = -float("inf")
        storage_failures = 0
        self._report(SENDING, "started")
        while not stop.is_set():
            try:
                if self._monotonic() - last_housekeeping >= self.reconcile_every_s:
                    self.housekeeping()
                    last_housekeeping = self._monotonic()
                wait = self._step()
            except (sqlite3.Error, OSError) as exc:
                if isinstance(exc, sqlite3.DatabaseError) and is_corruption(exc):
                    # Only a fresh start can move the damaged file aside and rebuild (Outbox._open_db).
                    self._report(STORAGE_ERROR, f"queue database damaged ({exc}); restarting to rebuild it")
                    log.error("uploader: queue database damaged (%s); exiting so that it is rebuilt", exc)
                    raise
                storage_failures += 1
                wait = min(self.outbox.backoff.max_s, self.outbox.backoff.min_s * 2 ** min(storage_failures - 1, 16))
                self._report(STORAGE_ERROR, f"queue database or disk failed ({exc}); retrying in {wait:.0f} s")
                log.error("uploader: queue database or disk failed: %s; retrying in %.0f s", exc, wait)
            else:
                if storage_failures:
                    log.warning("uploader: the queue database works again; sending resumes")
                    storage_failures = 0
            self._wait(stop, wait)
        self._report(STOPPED, "")
        log.info("uploader stopped")

    def _step(self) -> float:
        """Claim and send at most one capture; return how long to wait before the next step."""
        now = self._monotonic()
        breaker_wait = self.breaker.wait_s(now)
        if breaker_wait > 0:
            return breaker_wait
        entry = self.outbox.claim()
        if entry is None:
            self._report(SENDING, "idle")
            due = self.outbox.next_due_at()
            wait = self.poll_s if due is None else min(self.poll_s, max(0.0, due - self.outbox.now()))
            return max(wait, 0.01)
        attempt = self.process(entry)
        if not attempt.must_wait:
            if self.breaker.success():
                log.warning("uploader: the centre answers again; sending resumes")
            self._report(SENDING, "sending")
            return 0.0
        wait = self.breaker.failure(self._monotonic(), attempt.outcome.retry_after)
        if self.breaker.open:
            self._report(
                CENTRE_UNREACHABLE,
                f"{attempt.outcome.detail}; {self.breaker.failures} failures in a row, next try in {wait:.0f} s",
            )
            log.warning("uploader: centre failing (%s); one probe in %.0f s", attempt.outcome.detail, wait)
        return wait

    def _wait(self, stop: threading.Event, seconds: float) -> None:
        """Wait, in slices short enough to keep the state file's heartbeat fresh."""
        remaining = max(0.0, seconds)
        while not stop.is_set():
            piece = min(remaining, HEARTBEAT_S)
            self._sleep(stop, max(piece, 0.0))
            remaining -= piece
            self._heartbeat()
            if remaining <= 0:
                return

    def _report(self, state: str, detail: str) -> None:
        """Record what the uploader is doing when it changes (state file, systemd status)."""
        key = (state, detail if state != SENDING else "")
        if key == self._state:
            return
        if self._state is None or key[0] != self._state[0]:
            self._state_since = time.time()
            if self._notify is not None:
                self._notify(f"uploader {state}: {detail}" if detail else f"uploader {state}")
        self._state = key
        self._detail = detail
        self._write_state()

    def _heartbeat(self) -> None:
        if self._monotonic() - self._state_written >= HEARTBEAT_S:
            self._write_state()

    def _write_state(self) -> None:
        self._state_written = self._monotonic()
        if self.state_file is None or self._state is None:
            return
        self.state_file.write(
            UploaderState(
                state=self._state[0],
                detail=getattr(self, "_detail", ""),
                since=self._state_since,
                updated_at=time.time(),
                consecutive_failures=self.breaker.failures,
                pid=os.getpid(),
            )
        )
