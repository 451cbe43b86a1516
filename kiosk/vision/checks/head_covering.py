"""head_covering: no hat, scarf or head covering; the attribute classifier's ``hat`` probability
(trained on CelebA ``Wearing_Hat`` with the crop reaching above the forehead)."""

from __future__ import annotations

from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checks._attribute import judge
from kiosk.vision.checks._regions import BROWS, clip_box, face_box
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "head_covering"


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    return judge(a, p, ID, "hat", "covered")


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    """Crown down to the brows, where a hat or scarf sits."""
    box = face_box(a)
    if box is None:
        return None
    brow_y = max(float(a.pt(i)[1]) for i in BROWS)
    return clip_box(a, box[0] - 0.2 * a.face_width, box[1], box[0] + box[2] + 0.2 * a.face_width, brow_y)
