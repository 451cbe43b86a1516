"""head_geometry: the 480x640 placement of spec 1.5 exists (crown, eye line, face width, centring,
no upscaling, crop inside the source); otherwise the direction that would fix it."""

from __future__ import annotations

from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checks._common import r, result
from kiosk.vision.checks._regions import face_box
from kiosk.vision.landmarks import CHIN
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "head_geometry"


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    if not a.has_face:
        return None
    crop = a.crop
    if crop is None or crop.problem is not None or crop.scale is None:
        problem = crop.problem if crop is not None and crop.problem else "too_far"
        return result(ID, p, False, 1.0, problem, {"problem": problem, "crown_from_mask": a.crown_from_mask})
    mid = a.pupil_mid
    eye_x, eye_y = crop.output(float(mid[0]), float(mid[1]))
    crown = crop.output(0.0, float(a.crown_y or 0.0))[1]
    chin = crop.output(0.0, float(a.pt(CHIN)[1]))[1]
    value = {
        "scale": r(crop.scale, 4),
        "crop": [r(v, 1) for v in crop.rect or ()],
        "crown_px": r(crown, 1),
        "eye_line_px": r(eye_y, 1),
        "face_width_px": r(a.face_width * crop.scale, 1),
        "centre_offset_px": r(eye_x - 240.0, 1),
        "chin_px": r(chin, 1),
        "crown_from_mask": a.crown_from_mask,
    }
    return result(ID, p, True, 0.0, None, value)


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    """The head, crown to chin, to set against the framing guide."""
    return face_box(a)
