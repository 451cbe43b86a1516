"""shoulders_level: the shoulder tops (first person-mask row below the chin, at the face centre
+/- 0.9 face widths) differ by at most a few output pixels."""

from __future__ import annotations

import numpy as np

from kiosk.vision import landmarks as lm
from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checks._common import excess, r, result
from kiosk.vision.checks._regions import below_chin_box, output_view
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "shoulders_level"


def shoulder_rows(a: FaceAnalysis) -> tuple[float, float] | None:
    view = output_view(a)
    if view is None:
        return None
    h, w = view.person.shape
    inset = 10 * view.px_per_output_px
    chin_y = view.to_view(a.pt(lm.CHIN))[1]
    rows = []
    for side in (-0.9, 0.9):
        x = view.to_view([a.pupil_mid[0] + side * a.face_width, 0])[0]
        x = float(np.clip(x, inset, w - 1 - inset))
        xs = slice(int(max(0, x - 2)), int(min(w, x + 3)))
        col = view.person[int(max(0, chin_y)) :, xs].mean(axis=1) >= 0.5
        if not col.any() or col[0]:
            return None  # no shoulder there, or hair / an arm already covers it at chin height
        rows.append((float(np.argmax(col)) + max(0.0, chin_y)) / view.px_per_output_px)
    return rows[0], rows[1]


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    if not a.has_face:
        return None
    got = shoulder_rows(a)
    if got is None:
        return None
    diff = abs(got[0] - got[1])
    limit = float(p.get("shoulders_level.max_difference_px"))
    return result(ID, p, diff <= limit, excess(diff, limit, 3.0), "tilted", {"difference_px": r(diff, 1)})


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    """Both shoulders, below the chin."""
    return below_chin_box(a, 1.0, 0.0, 0.8)
