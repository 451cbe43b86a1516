"""exposure: the face is neither too dark nor too bright, without clipped or shiny patches
(OFIQ 0x44 mean linear luminance, 0x46/0x47 dark and clipped shares, a nose-ridge highlight blob)."""

from __future__ import annotations

import cv2
import numpy as np

from kiosk.vision import landmarks as lm
from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checks._common import excess, outside, polygon_mask, r, result
from kiosk.vision.checks._regions import points_box, skin_region
from kiosk.vision.colour import linear_luminance
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "exposure"


def measure(a: FaceAnalysis) -> dict[str, float]:
    assert a.patch is not None
    bgr = a.patch.bgr
    face = skin_region(a)
    n = max(int(face.sum()), 1)
    lum = linear_luminance(bgr)[face]
    clipped = float((bgr[face] >= 250).any(axis=1).sum()) / n
    dark = float((lum <= 25 / 255).sum()) / n
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    white = ((hsv[..., 2] >= 245) & (hsv[..., 1] <= 0.15 * 255)).astype(np.uint8)
    nose = polygon_mask(bgr.shape[:2], a.patch.points[list(lm.NOSE_RIDGE)], hull=True)
    nose = cv2.dilate(nose.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    white &= nose.astype(np.uint8)
    shine = 0.0
    if white.any():
        count, _, stats, _ = cv2.connectedComponentsWithStats(white, connectivity=8)
        shine = float(stats[1:, cv2.CC_STAT_AREA].max()) / n if count > 1 else 0.0
    return {"luminance": float(lum.mean()) if lum.size else 0.0, "clipped": clipped, "dark": dark, "shine": shine}


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    if a.patch is None:
        return None
    m = measure(a)
    lo, hi = p.get("exposure.luminance")
    max_clip, max_dark, max_shine = (float(p.get(f"exposure.{k}")) for k in ("max_clipped", "max_dark", "max_shine"))
    reasons = []
    if m["luminance"] < lo or m["dark"] > max_dark:
        reasons.append("dark")
    if m["luminance"] > hi or m["clipped"] > max_clip:
        reasons.append("bright")
    if m["shine"] > max_shine:
        reasons.append("shine")
    score = max(
        outside(m["luminance"], lo, hi, 0.04),
        excess(m["clipped"], max_clip, max_clip / 3),
        excess(m["dark"], max_dark, max_dark / 3),
        excess(m["shine"], max_shine, max_shine / 3),
    )
    return result(ID, p, not reasons, score, reasons[0] if reasons else None, {k: r(v, 4) for k, v in m.items()})


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    return points_box(a, range(468))
