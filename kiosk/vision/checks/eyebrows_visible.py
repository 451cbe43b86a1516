"""eyebrows_visible: hair must not cover the eyebrows; the attribute classifier's ``bangs`` probability
(CelebA ``Bangs`` as the proxy for a fringe over the brows)."""

from __future__ import annotations

from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checks._attribute import judge
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult

ID = "eyebrows_visible"


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    return judge(a, p, ID, "bangs", "covered")
