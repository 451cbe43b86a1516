"""What every probe returns: a level, one plain line, and the value it measured.

A probe answers one question about the booth's surroundings (is the clock synchronised, how much room
is left for the data folder...). The self-test, the staff dashboard and the metrics each turn the same
answer into their own words and numbers, so they can never disagree about the fact itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")


class Level(StrEnum):
    OK = "ok"
    WARN = "warn"  # the fact could not be established, or only partly: worth a look, not a failure
    FAIL = "fail"


@dataclass(frozen=True)
class ProbeResult(Generic[T]):  # noqa: UP046 - the project supports Python 3.11
    """``detail`` is one line a person can read; ``value`` the measurement behind it (None when unknown)."""

    level: Level
    detail: str
    value: T

    @property
    def ok(self) -> bool:
        return self.level is Level.OK

    @property
    def failed(self) -> bool:
        return self.level is Level.FAIL
