"""expression: a natural expression, no broad smile (photo-spec: 表情自然; "笑不露齿" is mouth_closed's).

The spec's row: a smile classifier plus the mouth-corner lift. The mesh measure, OFIQ style: a broad
smile widens the mouth and lifts its corners. ``width`` is the mouth-corner distance (61-291) over the eye
distance; ``lift`` is how far the corners sit above the middle of the lips (13-14), over T; the smile
measure is ``lift / lift_at`` + ``width / width_at``. The attribute classifier's ``smiling`` head (CelebA
``Smiling``) is the other half: the check fails when the classifier says smiling (probability over
``smiling_probability``) and the mesh confirms a wide, lifted mouth (measure over ``confirmed_smile``),
or when the mesh alone reads a plain grin (over ``plain_smile``) the classifier missed. Either alone is
less accurate: the classifier counts a relaxed closed-lip smile, the mesh a wide mouth at rest. Without
a classifier result the mesh alone decides, against ``max_smile``. Cut-offs chosen on the classifier's
validation identities (models/README.md). The profile's top-level ``expression_strict`` makes it block
(``fail``); otherwise it only hints (``warn``), as the spec says.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from kiosk.vision import landmarks as lm
from kiosk.vision.analysis import PATCH_IED, FaceAnalysis
from kiosk.vision.checks._attribute import probability
from kiosk.vision.checks._common import excess, r, result
from kiosk.vision.checks._regions import points_box
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "expression"
HEAD = "smiling"


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
    value = {"width": r(width), "lift": r(lift), "smile": r(smile)}
    prob = probability(a, HEAD)
    if prob is None:
        limit = float(p.get("expression.max_smile"))
        broad, score = smile > limit, excess(smile, limit, 0.1)
    else:
        value["probability"] = round(prob, 3)
        cut, confirm = float(p.get("expression.smiling_probability")), float(p.get("expression.confirmed_smile"))
        plain = float(p.get("expression.plain_smile"))
        both = min(excess(prob, cut, 0.05), excess(smile, confirm, 0.1))  # 0.5 where the weaker is at its cut
        broad = (prob > cut and smile > confirm) or smile > plain
        score = max(both, excess(smile, plain, 0.1))
    res = result(ID, p, not broad, score, "smile", value)
    if not p.get("expression_strict") and res.severity == "fail":
        res = replace(res, severity="warn")
    return res


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    return points_box(a, lm.OUTER_LIPS, 0.12)
