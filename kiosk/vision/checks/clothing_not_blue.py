"""clothing_not_blue: the top stands out from the backdrop. Clothing = person mask in a torso box
below the chin (from chin + 0.3 face heights, +/- 0.9 face widths), minus skin-coloured pixels; it
fails when many of its pixels are within dE 15 of the backdrop reference, or when most are blue.

A top the colour of the backdrop can vanish from the person mask altogether; when the mask covers less
than a third of the torso box, the whole box (minus skin) is judged instead, so that case fails rather
than going unmeasured."""

from __future__ import annotations

import cv2
import numpy as np

from kiosk.vision import landmarks as lm
from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checks._common import excess, r, result
from kiosk.vision.checks._regions import below_chin_box, output_view
from kiosk.vision.colour import delta_e2000, hue_chroma, to_lab
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "clothing_not_blue"
_BLUE_HUE = (200.0, 300.0)
_BLUE_CHROMA = 20.0
_MAX_BLUE_SHARE = 0.5


def clothing_pixels(a: FaceAnalysis) -> tuple[np.ndarray, float] | None:
    """BGR pixels of the clothing region (N, 3) and the share of the torso box the person mask covers."""
    view = output_view(a)
    if view is None:
        return None
    chin = a.pt(lm.CHIN)
    face_h = float(np.linalg.norm(chin - a.pt(lm.FOREHEAD)))
    mx = float(a.pupil_mid[0])
    fw = a.face_width
    (x0, y0), (x1, y1) = (
        view.to_view([mx - 0.9 * fw, chin[1] + 0.3 * face_h]),
        view.to_view([mx + 0.9 * fw, chin[1] + 1.2 * face_h]),
    )
    h, w = view.person.shape
    x0, x1 = int(max(0, x0)), int(min(w, x1))
    y0, y1 = int(max(0, y0)), int(min(h, y1))
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    box = view.bgr[y0:y1, x0:x1]
    person = view.person[y0:y1, x0:x1] >= 0.5
    ycc = cv2.cvtColor(box, cv2.COLOR_BGR2YCrCb)
    skin = (ycc[..., 1] >= 135) & (ycc[..., 1] <= 180) & (ycc[..., 2] >= 85) & (ycc[..., 2] <= 135)
    coverage = float(person.mean())
    region = (person if coverage >= 1 / 3 else np.ones_like(person)) & ~skin
    return box[region], coverage


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    if not a.has_face or not p.get("clothing_not_background"):
        return None
    got = clothing_pixels(a)
    if got is None or len(got[0]) < 30:
        return None
    px, coverage = got
    lab = to_lab(px.reshape(-1, 1, 3)).reshape(-1, 3)
    ref = np.array(p.get("background_ref_lab"), dtype=float)
    like_bg = float((delta_e2000(lab, ref) <= 15).mean())
    hue, chroma = hue_chroma(lab)
    blue = float(((hue >= _BLUE_HUE[0]) & (hue <= _BLUE_HUE[1]) & (chroma >= _BLUE_CHROMA)).mean())
    median_l = float(np.median(lab[:, 0]))
    limit = float(p.get("clothing_not_blue.max_background_like"))
    reason = None
    if like_bg > limit or (p.get("background") == "blue" and blue > _MAX_BLUE_SHARE):
        reason = "blue"
    elif p.get("clothing_light_required") and median_l < p.get("clothing_not_blue.min_light_l"):
        reason = "light"
    score = max(excess(like_bg, limit, limit / 4), excess(blue, _MAX_BLUE_SHARE, 0.1))
    value = {"background_like": r(like_bg), "blue_share": r(blue), "median_l": r(median_l, 1), "coverage": r(coverage)}
    return result(ID, p, reason is None, score, reason, value)


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    """The torso box the clothing is judged in."""
    return below_chin_box(a, 0.9, 0.3, 1.2)
