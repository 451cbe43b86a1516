"""head_covering: no hat, scarf or head covering; the attribute classifier's ``hat`` probability
(trained on CelebA ``Wearing_Hat`` with the crop reaching above the forehead)."""

from __future__ import annotations

from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checks._attribute import judge
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult

ID = "head_covering"


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    return judge(a, p, ID, "hat", "covered")
