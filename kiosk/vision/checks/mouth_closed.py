"""mouth_closed: lips closed, no teeth (inner-lip gap 13-14 over T; bright, unsaturated pixels inside
the inner-lip polygon)."""

from __future__ import annotations

import cv2
import numpy as np

from kiosk.vision import landmarks as lm
from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checks._common import excess, polygon_mask, r, result
from kiosk.vision.checks._regions import points_box
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "mouth_closed"


def teeth_share(a: FaceAnalysis) -> float:
    assert a.patch is not None
    poly = a.patch.points[list(lm.INNER_LIPS)]
    inside = polygon_mask(a.patch.bgr.shape[:2], poly)
    n = int(inside.sum())
    if n < 6:
        return 0.0
    hsv = cv2.cvtColor(a.patch.bgr, cv2.COLOR_BGR2HSV)
    face = polygon_mask(a.patch.bgr.shape[:2], a.patch.points[:468], hull=True)
    v_face = float(np.median(hsv[..., 2][face])) if face.any() else 128.0
    teeth = (hsv[..., 1] <= 0.30 * 255) & (hsv[..., 2] >= max(110.0, v_face))
    return float((teeth & inside).sum()) / n


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    if a.patch is None:
        return None
    gap = float(np.linalg.norm(a.pt(lm.UPPER_INNER_LIP) - a.pt(lm.LOWER_INNER_LIP))) / max(a.t, 1e-6)
    gmax_ = float(p.get("mouth_closed.max_gap"))
    # With the lips together the polygon is a sliver of lip; only an open gap can show teeth.
    teeth = teeth_share(a) if gap >= 0.5 * gmax_ else 0.0
    gmax, tmax = float(p.get("mouth_closed.max_gap")), float(p.get("mouth_closed.max_teeth_share"))
    ratio = max(gap / gmax, teeth / tmax)
    return result(ID, p, ratio <= 1.0, excess(ratio, 1.0, 0.25), "open", {"gap": r(gap), "teeth": r(teeth)})


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    return points_box(a, lm.OUTER_LIPS, 0.12)
