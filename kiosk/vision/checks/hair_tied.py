"""hair_tied: long hair tied back, not loose over the shoulders (photo-spec section 6; a hint: warn).

Measured on what the photo shows (the output view, as the clothing check): the hair's colour is the
median Lab of the person-mask pixels between the crown and the hairline (mesh point 10), skin left out;
the band is beside the jaw on each side, from 0.45 face heights above the chin down to it, between 0.6
and 0.95 face widths from the face centre: loose long hair hangs there on its way to the shoulders,
short or tied-back hair does not reach it, and a top (often as dark as the hair) starts below it.
Hair-like pixels (in the person mask, within ``max_colour_distance`` of the hair colour, not skin) over
``max_share`` of the band give the hint. Measured on the wild press photos (no hair label; few men wear
their hair long): the hint comes up on 10 % of the men and 27 % of the women; the spec's band over the
shoulders (15 %) gave 45 % and 41 %, because a dark top reads as hair. The check only hints, never
blocks (the profile's top-level ``hair_tied`` is "warn"). Not judged on grey photos, without a person
mask or a crown found in it, or without enough hair above the forehead to take the colour from (short
hair, a shaved head)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from kiosk.vision import landmarks as lm
from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checks._common import excess, r, result
from kiosk.vision.checks._regions import below_chin_box, output_view
from kiosk.vision.checks.face_occlusion import is_grey, skin
from kiosk.vision.colour import to_lab
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "hair_tied"
_MIN_HAIR_PX = 30
# The band beside the jaw, in face widths from the face centre and face heights below the chin (negative:
# above it): where loose long hair hangs and short or tied-back hair does not reach.
BAND_IN, BAND_OUT, BAND_TOP, BAND_BOTTOM = 0.6, 0.95, -0.45, 0.0


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    if not a.has_face or a.crown_y is None or not a.crown_from_mask or is_grey(a):
        return None
    view = output_view(a)
    if view is None:
        return None
    h, w = view.person.shape
    person = view.person >= 0.5
    mx, fw = float(a.pupil_mid[0]), a.face_width
    chin, forehead = a.pt(lm.CHIN), a.pt(lm.FOREHEAD)
    face_h = float(np.linalg.norm(chin - forehead))

    def box(x0: float, y0: float, x1: float, y1: float) -> tuple[slice, slice]:
        (vx0, vy0), (vx1, vy1) = view.to_view([x0, y0]), view.to_view([x1, y1])
        return (slice(int(max(0, vy0)), int(min(h, max(vy1, vy0 + 1)))),
                slice(int(max(0, vx0)), int(min(w, max(vx1, vx0 + 1)))))  # fmt: skip

    top = box(mx - 0.3 * fw, a.crown_y, mx + 0.3 * fw, float(forehead[1]))
    hair_px = view.bgr[top][person[top] & ~skin(view.bgr[top])]
    if len(hair_px) < _MIN_HAIR_PX:
        return None
    hair = np.median(to_lab(hair_px.reshape(-1, 1, 3)).reshape(-1, 3), axis=0)
    limit = float(p.get("hair.max_colour_distance"))
    hits = total = 0
    for x0, x1 in ((mx - BAND_OUT * fw, mx - BAND_IN * fw), (mx + BAND_IN * fw, mx + BAND_OUT * fw)):
        ys, xs = box(x0, float(chin[1]) + BAND_TOP * face_h, x1, float(chin[1]) + BAND_BOTTOM * face_h)
        part = view.bgr[ys, xs]
        if part.size == 0:
            continue
        lab = to_lab(part)
        near = np.linalg.norm(lab - hair, axis=-1) <= limit
        hits += int((near & person[ys, xs] & ~skin(part)).sum())
        total += part.shape[0] * part.shape[1]
    if total < 20:
        return None
    share = hits / total
    max_share = float(p.get("hair.max_share"))
    res = result(ID, p, share <= max_share, excess(share, max_share, 0.05), "loose", {"share": r(share)})
    if p.get("hair_tied") == "warn":
        res = replace(res, severity="warn")
    return res


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    """Beside the jaw on both sides, where loose hair was looked for."""
    return below_chin_box(a, BAND_OUT, BAND_TOP, BAND_BOTTOM)
