"""background: the backdrop around the person is the installed colour, even, without shadow, people
or objects. Measured on the part of the frame the output shows, outside the person mask grown by 8
output px (spec section 6)."""

from __future__ import annotations

import cv2
import numpy as np

from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checks._common import excess, r, result, shortfall
from kiosk.vision.checks._regions import clip_box, output_view
from kiosk.vision.colour import delta_e2000, hue_chroma, to_lab
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "background"


def _disc(radius_px: float) -> np.ndarray:
    d = max(1, int(round(radius_px)))
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * d + 1, 2 * d + 1))


def measure(a: FaceAnalysis, p: Profile) -> dict[str, float] | None:
    view = output_view(a)
    if view is None:
        return None
    person = (view.person >= 0.5).astype(np.uint8)
    near = cv2.dilate(person, _disc(8 * view.px_per_output_px))
    bg = near == 0
    n = int(bg.sum())
    if n < 50:
        return None
    lab = to_lab(view.bgr)
    med = np.median(lab[bg], axis=0)
    ref = np.array(p.get("background_ref_lab"), dtype=float)
    hue, chroma = hue_chroma(med)
    l_chan = lab[..., 0]
    h, w = bg.shape
    rows = np.arange(h)[:, None].repeat(w, 1)
    cols = np.arange(w)[None, :].repeat(h, 0)

    def mean_l(sel: np.ndarray) -> float:
        sel = sel & bg
        return float(l_chan[sel].mean()) if sel.sum() >= 10 else float(med[0])

    tb = abs(mean_l(rows < h / 3) - mean_l(rows >= 2 * h / 3))
    lr = abs(mean_l(cols < w / 2) - mean_l(cols >= w / 2))
    outlier = ((delta_e2000(lab, med) > 15) & bg).astype(np.uint8)
    blob = 0.0
    count, _, stats, _ = cv2.connectedComponentsWithStats(outlier, connectivity=8)
    if count > 1:
        blob = float(stats[1:, cv2.CC_STAT_AREA].max()) / n
    band = (cv2.dilate(person, _disc(40 * view.px_per_output_px)) > 0) & bg
    shadow = float(((l_chan < med[0] - 8) & band).sum()) / n
    return {
        "delta_e": float(delta_e2000(med, ref)),
        "hue": float(hue),
        "chroma": float(chroma),
        "l_std": float(l_chan[bg].std()),
        "gradient": max(tb, lr),
        "blob": blob,
        "shadow": shadow,
    }


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    if not a.has_face:
        return None
    m = measure(a, p)
    if m is None:
        return None
    g = "backdrop."
    colour_bad = m["delta_e"] > p.get(g + "max_delta_e")
    if p.get("background") == "blue":
        hlo, hhi = p.get(g + "hue_deg")
        colour_bad |= not (hlo <= m["hue"] <= hhi) or m["chroma"] < p.get(g + "min_chroma")
    objects_bad = m["blob"] > p.get(g + "max_blob")
    shadow_bad = (
        m["shadow"] > p.get(g + "max_shadow")
        or m["l_std"] > p.get(g + "max_l_std")
        or m["gradient"] > p.get(g + "max_gradient")
    )
    reason = "objects" if objects_bad else "shadow" if shadow_bad else "colour" if colour_bad else None
    score = max(
        excess(m["delta_e"], p.get(g + "max_delta_e"), 2.0),
        excess(m["blob"], p.get(g + "max_blob"), p.get(g + "max_blob") / 3),
        excess(m["shadow"], p.get(g + "max_shadow"), p.get(g + "max_shadow") / 3),
        excess(m["l_std"], p.get(g + "max_l_std"), 1.0),
        excess(m["gradient"], p.get(g + "max_gradient"), 1.5),
        shortfall(m["chroma"], p.get(g + "min_chroma"), 4.0) if p.get("background") == "blue" else 0.0,
    )
    return result(ID, p, reason is None, score, reason, {k: r(v, 4) for k, v in m.items()})


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    """The part of the frame the photo shows, whose backdrop was judged."""
    if a.region is None:
        return None
    x, y, w, h = a.region
    return clip_box(a, x, y, x + w, y + h)
