"""single_face: exactly one person (OFIQ 0x4C: area of the 2nd-largest face over the largest).

A face the detector finds but the mesh cannot place (a photo flipped top to bottom, a face mostly
hidden, a face-like pattern) fails here too: every face check reads the mesh, so without it the photo
would pass unjudged."""

from __future__ import annotations

from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checks._common import excess, r, result
from kiosk.vision.checks._regions import clip_box
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "single_face"


def run(a: FaceAnalysis, p: Profile) -> CheckResult:
    if not a.faces:
        return result(ID, p, False, 1.0, "none", {"faces": 0, "area_ratio": None})
    if a.mesh is None:  # a face was found but its landmarks were not: no other check can judge it
        return result(ID, p, False, 1.0, "unclear", {"faces": len(a.faces), "area_ratio": None})
    limit = float(p.get("single_face.second_area_ratio"))
    ratio = a.faces[1].area / max(a.faces[0].area, 1e-9) if len(a.faces) > 1 else 0.0
    passed = ratio < limit
    score = excess(ratio, limit, limit / 4) if len(a.faces) > 1 else 0.0
    return result(ID, p, passed, score, "several", {"faces": len(a.faces), "area_ratio": r(ratio)})


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    """The second face when there are several."""
    if len(a.faces) < 2:
        return None
    x, y, w, h = a.faces[1].box
    return clip_box(a, x, y, x + w, y + h)
