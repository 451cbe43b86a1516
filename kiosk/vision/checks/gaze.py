"""gaze: the irises sit in the middle of the eyes (offset from the eye-corner midpoint, per eye,
horizontal over eye width and vertical over eye height, averaged over both eyes).

The offset is the eyes' turn within the head, which is the gaze into the lens only for a frontal head: a
student turned 30 degrees who looks into the lens has the irises well off-centre. So gaze is judged up
to head_pose's yaw limit; beyond it the photo fails head_pose ("face the camera"), and gaze passes with
``judged`` false instead of adding a wrong "look into the camera"."""

from __future__ import annotations

import numpy as np

from kiosk.vision import landmarks as lm
from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checks._common import beyond_pose_limit, excess, r, result
from kiosk.vision.checks._regions import EYES, points_box
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "gaze"

_EYES = (
    (lm.RIGHT_EYE_OUTER, lm.RIGHT_EYE_INNER, lm.RIGHT_UPPER_LID, lm.RIGHT_LOWER_LID, 468),
    (lm.LEFT_EYE_INNER, lm.LEFT_EYE_OUTER, lm.LEFT_UPPER_LID, lm.LEFT_LOWER_LID, 473),
)


def offsets(a: FaceAnalysis) -> tuple[float, float]:
    """Mean signed (horizontal, vertical) iris offset, in the de-rotated face patch."""
    assert a.patch is not None
    pts = a.patch.points
    hs, vs = [], []
    for c0, c1, up, low, iris in _EYES:
        mid = (pts[c0] + pts[c1]) / 2
        width = max(abs(pts[c1][0] - pts[c0][0]), 1e-6)
        height = max(float(np.linalg.norm(pts[up] - pts[low])), 0.25 * width)
        hs.append((pts[iris][0] - mid[0]) / width)
        vs.append((pts[iris][1] - mid[1]) / height)
    return float(np.mean(hs)), float(np.mean(vs))


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    if a.patch is None:
        return None
    h, v = offsets(a)
    if beyond_pose_limit(a, p):
        return result(ID, p, True, 0.0, None, {"horizontal": r(h), "vertical": r(v), "judged": False})
    v_rel = v - float(p.get("gaze.vertical_offset"))
    hmax, vmax = float(p.get("gaze.max_horizontal")), float(p.get("gaze.max_vertical"))
    ratio = max(abs(h) / hmax, abs(v_rel) / vmax)
    return result(ID, p, ratio <= 1.0, excess(ratio, 1.0, 0.2), "gaze", {"horizontal": r(h), "vertical": r(v)})


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    return points_box(a, EYES, 0.12)
