"""heavy_makeup: no heavy make-up; the attribute classifier's ``heavy_makeup`` probability (CelebA
``Heavy_Makeup``). The profile's top-level ``heavy_makeup`` ("fail" | "warn") sets how hard it blocks."""

from __future__ import annotations

from dataclasses import replace

from kiosk.vision import landmarks as lm
from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checks._attribute import judge
from kiosk.vision.checks._regions import BROWS, points_box
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "heavy_makeup"


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    res = judge(a, p, ID, "heavy_makeup", "makeup")
    if res is not None and p.get("heavy_makeup") == "warn":
        res = replace(res, severity="warn")
    return res


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    """Eyes, brows and lips, where make-up shows."""
    return points_box(a, BROWS + lm.OUTER_LIPS, 0.15)
