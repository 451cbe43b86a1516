"""The compliance report: what the checker found, in the shape the booth, the CLI and the upload share.

``score`` is in [0, 1], higher meaning the rule is more likely broken; ``value`` is the measured
quantity where there is one. Messages are short and polite, Chinese first.

A check that is unsure (its score in the profile's middle band, a measure near its limit) does not block:
it passes with ``ask=True`` and its message is a question the student can answer ("if you are wearing
earrings, please take them off"). Only what the booth is sure of blocks; the student either retakes or
answers that the question does not apply, and the answer travels with the photo.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np


@dataclass(frozen=True)
class Message:
    zh: str
    en: str

    def to_dict(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}


Region = tuple[float, float, float, float]


@dataclass(frozen=True)
class CheckResult:
    id: str
    passed: bool
    score: float
    message: Message
    value: Any = None
    severity: str = "fail"  # "fail" blocks acceptance, "warn" only hints
    ask: bool = False  # passed, but unsure: the student is asked instead of blocked
    # Where the check looked, (x, y, w, h) in source pixels, so the review screen can outline it
    # (the ear band, the lens area, the brows); None when the check has no place of its own.
    region: Region | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "pass": self.passed,
            "ask": self.ask,
            "score": round(float(self.score), 4),
            "value": self.value,
            "severity": self.severity,
            "message": self.message.to_dict(),
            "region": None if self.region is None else [round(float(v), 1) for v in self.region],
        }


@dataclass(frozen=True)
class FaceGeometry:
    """Where the face is in the source still, in source pixels; the crop is computed from this."""

    box: tuple[float, float, float, float]  # x, y, w, h of the face
    eye_mid: tuple[float, float] | None = None
    crown_y: float | None = None
    chin_y: float | None = None
    face_width: float | None = None
    roll_deg: float | None = None
    # The 480x640 crop of photo-spec 1.5 when one exists: (x0, y0, width, height) in source pixels,
    # and the scale (output px per source px).
    crop: tuple[float, float, float, float] | None = None
    scale: float | None = None


@dataclass(frozen=True)
class Report:
    checks: dict[str, CheckResult]
    ms: float
    geometry: FaceGeometry | None = None
    order: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return all(c.passed or c.severity != "fail" for c in self.checks.values())

    def failures(self) -> list[CheckResult]:
        """Failed checks, most important first (the spec's review-screen order)."""
        failed = [c for c in self.checks.values() if not c.passed and c.severity == "fail"]
        rank = {cid: i for i, cid in enumerate(self.order)}
        return sorted(failed, key=lambda c: rank.get(c.id, len(rank)))

    def asked(self) -> list[CheckResult]:
        """Passed-but-unsure checks whose question the student answers, in the review-screen order."""
        asked = [c for c in self.checks.values() if c.passed and c.ask]
        rank = {cid: i for i, cid in enumerate(self.order)}
        return sorted(asked, key=lambda c: rank.get(c.id, len(rank)))

    def with_failure(self, check_id: str, message: Message, score: float = 1.0) -> Report:
        """This report with ``check_id`` failed (for failures found after the checks, like placement)."""
        checks = dict(self.checks)
        checks[check_id] = CheckResult(check_id, False, score, message)
        return Report(checks=checks, ms=self.ms, geometry=self.geometry, order=self.order)

    def to_dict(self) -> dict[str, Any]:
        return {
            "pass": self.passed,
            "asked": [c.id for c in self.asked()],
            "checks": {cid: c.to_dict() for cid, c in self.checks.items()},
            "ms": round(self.ms, 1),
        }


class Checker(Protocol):
    """Judges a full-resolution still (BGR)."""

    profile_name: str

    def check(self, image: np.ndarray) -> Report: ...
