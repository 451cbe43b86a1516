"""What the classifier-backed checks share: reading one probability and judging it against the
profile's calibrated cut-off (``attributes.<check id>``)."""

from __future__ import annotations

from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checks._common import excess, result
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult


def probability(a: FaceAnalysis, head: str) -> float | None:
    """The model's probability for ``head``, or None when the classifier did not run (no face)."""
    if a.attributes is None or head not in a.attributes:
        return None
    return float(a.attributes[head])


def cut_off(p: Profile, check_id: str) -> float:
    return float(p.get(f"attributes.{check_id}"))


def score(prob: float, cut: float) -> float:
    """0.5 at the cut-off, as every check's score; the width keeps the scale of a probability."""
    return excess(prob, cut, 0.05)


def judge(a: FaceAnalysis, p: Profile, check_id: str, head: str, reason: str) -> CheckResult | None:
    """Fail when the probability that the attribute is present is over the profile's cut-off."""
    prob = probability(a, head)
    if prob is None:
        return None
    cut = cut_off(p, check_id)
    return result(check_id, p, prob <= cut, score(prob, cut), reason, {"probability": round(prob, 3)})
