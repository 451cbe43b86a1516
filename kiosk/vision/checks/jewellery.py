"""jewellery: no earrings or necklaces; the attribute classifier's ``jewellery`` probability (trained on
CelebA ``Wearing_Earrings`` or ``Wearing_Necklace``; the crop holds both ears and the neck)."""

from __future__ import annotations

from kiosk.vision import landmarks as lm
from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checks._attribute import judge
from kiosk.vision.checks._regions import clip_box
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "jewellery"


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    return judge(a, p, ID, "jewellery", "worn")


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    """The ear lobes and the neck: beside the face from eye level down to below the chin."""
    if a.mesh is None:
        return None
    xs = (float(a.pt(lm.CHEEK_RIGHT)[0]), float(a.pt(lm.CHEEK_LEFT)[0]))
    eye_y, chin_y = float(a.pupil_mid[1]), float(a.pt(lm.CHIN)[1])
    pad = 0.35 * a.face_width
    return clip_box(a, min(xs) - pad, eye_y, max(xs) + pad, chin_y + 0.5 * (chin_y - eye_y))
