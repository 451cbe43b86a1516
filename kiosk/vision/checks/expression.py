"""expression: a natural expression, no broad smile (photo-spec: 表情自然; "笑不露齿" is mouth_closed's).

Measured from the mesh, OFIQ style: a broad smile widens the mouth and lifts its corners. ``width`` is the
mouth-corner distance (61-291) over the eye distance; ``lift`` is how far the corners sit above the
middle of the lips (13-14), over T. The smile measure is ``lift / lift_at`` + ``width / width_at``; over
``max_smile`` the check fails. A closed-lip, relaxed smile stays under it. The profile's top-level
``expression_strict`` makes it block (``fail``); otherwise it only hints (``warn``), as the spec says.
Calibrated against CelebA's ``smiling`` label on the calibration half (models/README.md).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from kiosk.vision import landmarks as lm
from kiosk.vision.analysis import PATCH_IED, FaceAnalysis
from kiosk.vision.checks._common import excess, r, result
from kiosk.vision.checks._regions import points_box
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "expression"


def measures(a: FaceAnalysis) -> tuple[float, float]:
    """(mouth width / IED, corner lift / T) in the de-rotated face patch."""
    assert a.patch is not None
    pts = a.patch.points
    right, left = pts[lm.MOUTH_RIGHT], pts[lm.MOUTH_LEFT]
    centre = (pts[lm.UPPER_INNER_LIP] + pts[lm.LOWER_INNER_LIP]) / 2
    eyes = (pts[lm.RIGHT_EYE_OUTER] + pts[lm.RIGHT_EYE_INNER] + pts[lm.LEFT_EYE_INNER] + pts[lm.LEFT_EYE_OUTER]) / 4
    t = max(float(np.linalg.norm(pts[lm.CHIN] - eyes)), 1e-6)
    width = float(np.linalg.norm(left - right)) / PATCH_IED  # the patch is scaled to IED 64
    lift = float(centre[1] - (right[1] + left[1]) / 2) / t
    return width, lift


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    if a.patch is None:
        return None
    width, lift = measures(a)
    smile = lift / float(p.get("expression.lift_at")) + width / float(p.get("expression.width_at"))
    limit = float(p.get("expression.max_smile"))
    res = result(ID, p, smile <= limit, excess(smile, limit, 0.1), "smile",
                 {"width": r(width), "lift": r(lift), "smile": r(smile)})  # fmt: skip
    if not p.get("expression_strict") and res.severity == "fail":
        res = replace(res, severity="warn")
    return res


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    return points_box(a, lm.OUTER_LIPS, 0.12)
