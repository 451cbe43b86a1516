"""natural_colour: mean a*, b* of the cheeks inside OFIQ's natural-skin box (0x4B); a camera or white
balance fault rather than something the student can fix, hence a warning by default."""

from __future__ import annotations

import numpy as np

from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checks._common import outside, r, result
from kiosk.vision.checks._regions import cheek_boxes, points_box
from kiosk.vision.colour import to_lab
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "natural_colour"


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    if a.patch is None:
        return None
    labs = np.concatenate([to_lab(a.patch.bgr[ys, xs]).reshape(-1, 3) for ys, xs in cheek_boxes(a)])
    am, bm = float(labs[:, 1].mean()), float(labs[:, 2].mean())
    (alo, ahi), (blo, bhi) = p.get("natural_colour.a"), p.get("natural_colour.b")
    passed = alo <= am <= ahi and blo <= bm <= bhi
    score = max(outside(am, alo, ahi, 3.0), outside(bm, blo, bhi, 3.0))
    return result(ID, p, passed, score, "cast", {"a": r(am, 1), "b": r(bm, 1)})


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    return points_box(a, range(468))
