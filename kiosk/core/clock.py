"""Clocks: countdowns and timeouts run on a monotonic clock that tests can drive by hand.

Wall-clock time (``wall()``) is only for records (taken-at stamps, "today"); every duration the booth
measures uses ``now()``, which never jumps when NTP corrects the clock.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Monotonic seconds."""

    def wall(self) -> datetime:
        """Aware wall-clock time, for records."""


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        return time.monotonic()

    def wall(self) -> datetime:
        return datetime.now(UTC).astimezone()


class FakeClock:
    """A clock that moves only when told to, so tests step through countdowns and timeouts."""

    def __init__(self, start: float = 1000.0, wall: datetime | None = None) -> None:
        self._now = start
        self._wall0 = wall or datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
        self._start = start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def wall(self) -> datetime:
        from datetime import timedelta

        with self._lock:
            return self._wall0 + timedelta(seconds=self._now - self._start)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds
