"""What the classifier-backed checks share: reading one probability and judging it against the
profile's band for the check (``[ask]``): under the band passes, inside it passes and asks the student
(the classifier is unsure, and the student can answer: "if you are wearing earrings ..."), over it fails.

``[attributes]`` keeps the classifier's best-balanced-accuracy cut-offs from training (the glasses check
under ``allowed_clear`` reads its presence cut-off there)."""

from __future__ import annotations

from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checks._common import ask_band, excess, result
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
    """Pass under the check's ask band, pass and ask inside it, fail over it."""
    prob = probability(a, head)
    if prob is None:
        return None
    lo, hi = ask_band(p, check_id)
    value = {"probability": round(prob, 3)}
    return result(check_id, p, prob <= hi, score(prob, hi), reason, value, ask=prob > lo)
