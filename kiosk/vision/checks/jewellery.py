"""jewellery: no earrings or necklaces; the attribute classifier's ``jewellery`` probability (trained on
CelebA ``Wearing_Earrings`` or ``Wearing_Necklace``; the crop holds both ears and the neck)."""

from __future__ import annotations

from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checks._attribute import judge
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult

ID = "jewellery"


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    return judge(a, p, ID, "jewellery", "worn")
