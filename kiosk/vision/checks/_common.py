"""What every check shares: the score mapping and the CheckResult factory."""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np

from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.messages import OK, message
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult


def excess(value: float, limit: float, width: float) -> float:
    """Probability-like score that ``value`` is over ``limit``: 0.5 at the limit, ``width`` sets how
    fast it saturates. Higher = more likely broken, as the report defines ``score``."""
    if not math.isfinite(value):
        return 1.0
    z = (value - limit) / max(width, 1e-9)
    return float(1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z)))))


def shortfall(value: float, limit: float, width: float) -> float:
    """Score that ``value`` is under ``limit`` (0.5 at the limit)."""
    return excess(limit, value, width)


def outside(value: float, lo: float, hi: float, width: float) -> float:
    return max(shortfall(value, lo, width), excess(value, hi, width))


def result(
    check_id: str, profile: Profile, passed: bool, score: float, reason: str | None, value: Any, ask: bool = False
) -> CheckResult:
    """The check's result; ``ask`` (passed, but unsure) carries the check's question as its message."""
    ask = bool(ask and passed)
    msg = message(check_id, "ask") if ask else OK if passed or reason is None else message(check_id, reason)
    return CheckResult(
        id=check_id,
        passed=bool(passed),
        score=float(min(1.0, max(0.0, score))),
        message=msg,
        value=value,
        severity=profile.severity(check_id),
        ask=ask,
    )


def ask_band(profile: Profile, check_id: str) -> tuple[float, float]:
    """The profile's ``[ask]`` band of a check: (from, to) in the check's own measure. The meaning of
    "worse" is the check's: for a probability, under ``from`` passes, ``from``-``to`` asks, over ``to``
    fails; a band with from == to never asks."""
    lo, hi = (float(v) for v in profile.get(f"ask.{check_id}"))
    return min(lo, hi), max(lo, hi)


def beyond_pose_limit(a: FaceAnalysis, p: Profile) -> bool:
    """The head is turned past head_pose's final yaw limit (``pose.yaw_deg``). head_pose fails such a photo
    and asks the student to face the camera; a measure that assumes a frontal face (where the iris sits in
    the eye: gaze) reads the turn, not the rule, so it is not judged there."""
    return a.pose is not None and abs(a.pose.yaw) > float(p.get("pose.yaw_deg"))


def r(x: float, nd: int = 3) -> float:
    return round(float(x), nd)


def polygon_mask(shape: tuple[int, int], points: np.ndarray, hull: bool = False) -> np.ndarray:
    """Boolean mask of a polygon (or its convex hull) given in pixel coordinates."""
    mask = np.zeros(shape, dtype=np.uint8)
    pts: np.ndarray = np.round(points[:, :2]).astype(np.int32)
    if hull:
        pts = cv2.convexHull(pts)
    cv2.fillPoly(mask, [pts.reshape(-1, 1, 2)], 1)
    return mask.astype(bool)
