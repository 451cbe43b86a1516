"""eyebrows_visible: hair must not cover the eyebrows; the attribute classifier's ``bangs`` probability
(CelebA ``Bangs`` as the proxy for a fringe over the brows)."""

from __future__ import annotations

from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checks._attribute import judge
from kiosk.vision.checks._regions import BROWS, points_box
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "eyebrows_visible"


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    return judge(a, p, ID, "bangs", "covered")


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    """The brows, with the forehead just above them where a fringe falls."""
    return points_box(a, BROWS, 0.2)
