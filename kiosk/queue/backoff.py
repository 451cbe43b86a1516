"""How long a capture waits after a failed attempt."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """How long to wait before the next attempt.

    Exponential with "equal jitter" (half fixed, half random) so a fleet of booths that lost the network
    together does not come back in lockstep; a Retry-After from the centre wins when it asks for longer.
    """

    min_s: float = 5.0
    max_s: float = 900.0
    slow_s: float = 1800.0
    max_retry_after_s: float = 86400.0

    def delay(self, attempts: int, rng: random.Random, retry_after: float | None = None, slow: bool = False) -> float:
        if slow:
            base = self.slow_s
        else:
            lo = min(self.min_s, self.max_s)
            base = min(self.max_s, lo * 2 ** max(0, attempts - 1))
        wait = base / 2 + rng.uniform(0, base / 2)
        if retry_after is not None:
            wait = max(wait, min(max(retry_after, 0.0), self.max_retry_after_s))
        return wait
