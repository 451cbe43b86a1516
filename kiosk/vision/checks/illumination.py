"""illumination: both cheeks lit alike (OFIQ 0x43 histogram intersection, plus the mean L* difference),
the 阴阳脸 check.

The histograms are of L* in 5-unit bins rather than of linear luminance: skin occupies only a few
linear-luminance bins, so a slight, invisible difference would empty the intersection, while 5 L* is
about the smallest step a person sees between two patches of skin."""

from __future__ import annotations

import numpy as np

from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checks._common import excess, r, result, shortfall
from kiosk.vision.checks._regions import cheek_boxes, patch_box
from kiosk.vision.colour import to_lab
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "illumination"
_BINS = 20  # L* 0-100 in steps of 5


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    if a.patch is None:
        return None
    hists, ls = [], []
    for ys, xs in cheek_boxes(a):
        lightness = to_lab(a.patch.bgr[ys, xs])[..., 0].ravel()
        hist, _ = np.histogram(lightness, bins=_BINS, range=(0.0, 100.0))
        hists.append(hist / max(hist.sum(), 1))
        ls.append(float(lightness.mean()) if lightness.size else 0.0)
    inter = float(np.minimum(hists[0], hists[1]).sum())
    diff = abs(ls[0] - ls[1])
    min_i, max_d = float(p.get("illumination.min_intersection")), float(p.get("illumination.max_cheek_l_diff"))
    passed = inter >= min_i and diff <= max_d
    score = max(shortfall(inter, min_i, 0.08), excess(diff, max_d, 2.0))
    return result(ID, p, passed, score, "uneven", {"intersection": r(inter), "cheek_l_diff": r(diff, 1)})


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    """Both cheeks, whose light is compared."""
    boxes = cheek_boxes(a) if a.patch is not None else []
    if len(boxes) != 2:
        return None
    (ys0, xs0), (ys1, xs1) = boxes
    return patch_box(a, xs0.start, min(ys0.start, ys1.start), xs1.stop, max(ys0.stop, ys1.stop))
