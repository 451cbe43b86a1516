"""sharpness: variance of the Laplacian on the eye band of the face patch (IED 64 px), so the number
means the same for a booth still and a preview-sized photo."""

from __future__ import annotations

import cv2
import numpy as np

from kiosk.vision import landmarks as lm
from kiosk.vision.analysis import PATCH_IED, FaceAnalysis
from kiosk.vision.checks._common import r, result, shortfall
from kiosk.vision.checks._regions import EYES, points_box
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "sharpness"


def laplacian_variance(a: FaceAnalysis) -> float:
    assert a.patch is not None
    pts = a.patch.points
    y = (pts[lm.RIGHT_EYE_OUTER][1] + pts[lm.LEFT_EYE_OUTER][1]) / 2
    x0 = pts[lm.RIGHT_EYE_OUTER][0] - 0.25 * PATCH_IED
    x1 = pts[lm.LEFT_EYE_OUTER][0] + 0.25 * PATCH_IED
    h, w = a.patch.bgr.shape[:2]
    ys = slice(int(max(0, y - 0.35 * PATCH_IED)), int(min(h, y + 0.35 * PATCH_IED)))
    xs = slice(int(max(0, x0)), int(min(w, x1)))
    gray = cv2.cvtColor(a.patch.bgr[ys, xs], cv2.COLOR_BGR2GRAY)
    if gray.size < 16:
        return 0.0
    return float(np.var(cv2.Laplacian(gray, cv2.CV_64F, ksize=1)))


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    if a.patch is None:
        return None
    v = laplacian_variance(a)
    limit = float(p.get("sharpness.min_laplacian_var"))
    return result(ID, p, v >= limit, shortfall(v, limit, limit / 5), "blurred", {"laplacian_var": r(v, 1)})


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    """The eye band the sharpness is measured on."""
    return points_box(a, EYES, 0.25)
