"""mouth_closed: lips closed, no teeth (photo-spec: 笑不露齿).

Two measures, one rule. The mesh measures the inner-lip gap (13-14) over T against ``max_gap`` and the
share of bright, unsaturated pixels inside the inner-lip polygon (teeth) against ``max_teeth_share``;
the attribute classifier's ``mouth_open`` head (trained on CelebA's mouth-open label) is the second
opinion. The mesh draws the lips of a small or soft face a little apart even when they touch, and a lip
highlight reads as teeth, so when the classifier is sure the mouth is closed (probability at most
``closed_probability``) each measure gets an allowance: the gap may reach ``closed_gap_allowance`` times
``max_gap`` and the teeth share ``closed_teeth_allowance`` times ``max_teeth_share``. Beyond those a
plainly open mouth or a row of teeth still fails, whatever the classifier says. Unsure, sure it is open,
or no classifier result: the limits as they are.

The classifier never fails a photo the mesh calls closed; it only decides how much benefit of the doubt
a borderline measure gets. Cut-offs chosen on the classifier's validation identities (models/README.md).
A retake fixes a mouth and the student cannot judge it, so the check never asks (no ``[ask]`` band).
"""

from __future__ import annotations

import cv2
import numpy as np

from kiosk.vision import landmarks as lm
from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checks._attribute import probability
from kiosk.vision.checks._common import excess, polygon_mask, r, result
from kiosk.vision.checks._regions import points_box
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "mouth_closed"
HEAD = "mouth_open"


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


def measures(a: FaceAnalysis, p: Profile) -> tuple[float, float]:
    """(inner-lip gap / T, teeth share) of the analysed face."""
    gap = float(np.linalg.norm(a.pt(lm.UPPER_INNER_LIP) - a.pt(lm.LOWER_INNER_LIP))) / max(a.t, 1e-6)
    # With the lips together the polygon is a sliver of lip; only an open gap can show teeth.
    teeth = teeth_share(a) if gap >= 0.5 * float(p.get("mouth_closed.max_gap")) else 0.0
    return gap, teeth


def allowances(prob_open: float | None, p: Profile) -> tuple[float, float]:
    """(gap, teeth) allowance: more than 1 only when the classifier is sure the mouth is closed."""
    if prob_open is not None and prob_open <= float(p.get("mouth_closed.closed_probability")):
        return float(p.get("mouth_closed.closed_gap_allowance")), float(p.get("mouth_closed.closed_teeth_allowance"))
    return 1.0, 1.0


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    if a.patch is None:
        return None
    gap, teeth = measures(a, p)
    prob = probability(a, HEAD)
    gap_x, teeth_x = allowances(prob, p)
    # 1.0 at the (allowed) limit of whichever measure is further over it
    ratio = max(gap / (gap_x * float(p.get("mouth_closed.max_gap"))),
                teeth / (teeth_x * float(p.get("mouth_closed.max_teeth_share"))))  # fmt: skip
    value = {"gap": r(gap), "teeth": r(teeth), "measure": r(ratio)}
    if prob is not None:
        value["probability"] = round(prob, 3)
    return result(ID, p, ratio <= 1.0, excess(ratio, 1.0, 0.25), "open", value)


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    return points_box(a, lm.OUTER_LIPS, 0.12)
