"""red_eye: mean a* in the pupil disc (0.4 of the iris radius) of each eye."""

from __future__ import annotations

import cv2
import numpy as np

from kiosk.vision.analysis import PATCH_IED, FaceAnalysis
from kiosk.vision.checks._common import excess, r, result
from kiosk.vision.checks._regions import EYES, points_box
from kiosk.vision.colour import to_lab
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "red_eye"
_MIN_IRIS_RADIUS_PX = 4.0  # in the source; a booth still has about 20


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    if a.patch is None or a.mesh is None or min(a.mesh.iris_radius) < _MIN_IRIS_RADIUS_PX:
        return None  # a pupil of a pixel or two is all colour fringe: not measurable
    k = PATCH_IED / max(a.ied, 1e-6)
    worst = -1e9
    for idx, radius in ((468, a.mesh.iris_radius[0]), (473, a.mesh.iris_radius[1])):
        cx, cy = a.patch.points[idx]
        rad = max(1, int(round(0.4 * radius * k)))
        disc = np.zeros(a.patch.bgr.shape[:2], np.uint8)
        cv2.circle(disc, (int(round(cx)), int(round(cy))), rad, 1, -1)
        if disc.any():
            worst = max(worst, float(to_lab(a.patch.bgr[disc.astype(bool)])[:, 1].mean()))
    if worst == -1e9:
        return None
    limit = float(p.get("red_eye.max_a"))
    return result(ID, p, worst <= limit, excess(worst, limit, 4.0), "red", {"pupil_a": r(worst, 1)})


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    return points_box(a, EYES, 0.12)
