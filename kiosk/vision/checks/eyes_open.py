"""eyes_open: both eyes naturally open, each judged on its own.

Per eye, the eyelid opening is the largest of three upper-to-lower lid distances across the iris (the
iris model's eye contour, which follows a shut lid that the mesh alone draws open), over T, as OFIQ
0x4D. An eye fails when its opening is under ``min_opening`` (closed or half-shut, sleepy eyes), and the
pair fails when the smaller eye is under ``min_ratio`` of the larger: one eye shut (a wink) while the
other is open. The ratio needs no absolute scale, so naturally narrow eyes, narrow on both sides, are
not failed by it; it is judged only up to ``ratio_max_yaw_deg`` of head turn, beyond which the far eye
looks narrower by perspective alone. Beyond ``near_eye_yaw_deg`` (a turn head_pose fails anyway) only the
more open eye is judged: the far eye, half behind the nose, reads shut on open-eyed press photos turned
25-50 degrees, while eyes shut on a turned head still fail on the near one.
"""

from __future__ import annotations

import numpy as np

from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checks._common import r, result, shortfall
from kiosk.vision.checks._regions import EYES, points_box
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "eyes_open"
# Upper and lower lid points across the iris: outer third, middle, inner third.
RIGHT_LID_PAIRS = ((160, 144), (159, 145), (158, 153))
LEFT_LID_PAIRS = ((385, 380), (386, 374), (387, 373))


def openings(a: FaceAnalysis) -> tuple[float, float]:
    """(right eye, left eye) eyelid opening over T."""
    t = max(a.t, 1e-6)

    def one(pairs: tuple[tuple[int, int], ...]) -> float:
        return max(float(np.linalg.norm(a.pt(up) - a.pt(low))) for up, low in pairs) / t

    return one(RIGHT_LID_PAIRS), one(LEFT_LID_PAIRS)


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    if not a.has_face:
        return None
    limit, min_ratio = float(p.get("eyes_open.min_opening")), float(p.get("eyes_open.min_ratio"))
    right, left = openings(a)
    smaller, larger = min(right, left), max(right, left)
    ratio = smaller / larger if larger > 0 else 0.0
    frontal = a.pose is not None and abs(a.pose.yaw) <= float(p.get("eyes_open.ratio_max_yaw_deg"))
    far_eye_hidden = a.pose is not None and abs(a.pose.yaw) > float(p.get("eyes_open.near_eye_yaw_deg"))
    judged = larger if far_eye_hidden else smaller
    score = shortfall(judged, limit, limit / 6)
    if frontal:
        score = max(score, shortfall(ratio, min_ratio, 0.05))
    passed = judged >= limit and (ratio >= min_ratio or not frontal)
    return result(ID, p, passed, score, "closed", {"right": r(right), "left": r(left), "ratio": r(ratio)})


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    return points_box(a, EYES, 0.12)
