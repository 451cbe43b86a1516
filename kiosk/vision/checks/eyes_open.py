"""eyes_open: the smaller eyelid opening (mesh 159-145, 386-374) over T, as OFIQ 0x4D."""

from __future__ import annotations

import numpy as np

from kiosk.vision import landmarks as lm
from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checks._common import r, result, shortfall
from kiosk.vision.checks._regions import EYES, points_box
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "eyes_open"


def openings(a: FaceAnalysis) -> tuple[float, float]:
    t = max(a.t, 1e-6)
    right = np.linalg.norm(a.pt(lm.RIGHT_UPPER_LID) - a.pt(lm.RIGHT_LOWER_LID)) / t
    left = np.linalg.norm(a.pt(lm.LEFT_UPPER_LID) - a.pt(lm.LEFT_LOWER_LID)) / t
    return float(right), float(left)


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    if not a.has_face:
        return None
    limit = float(p.get("eyes_open.min_opening"))
    right, left = openings(a)
    smaller = min(right, left)
    return result(
        ID, p, smaller >= limit, shortfall(smaller, limit, limit / 6), "closed", {"right": r(right), "left": r(left)}
    )


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    return points_box(a, EYES, 0.12)
