"""hair_tied: long hair tied back, not loose over the shoulders (photo-spec section 6; a hint: warn).

Measured on what the photo shows (the output view, as the clothing check): the hair's colour is the
median Lab of the person-mask pixels between the crown and the hairline (mesh point 10), skin left out;
the shoulder band is beside the neck, from the chin down half a face height, between 0.45 and 1.1 face
widths from the face centre on each side. Hair-like pixels (in the person mask, within
``max_colour_distance`` of the hair colour, not skin) over ``max_share`` of the band give the hint.
Hair and a top of the same colour cannot be told apart by colour: the check only hints, never blocks
(the profile's top-level ``hair_tied`` is "warn"). Not judged without a person mask, a crown found in
it, or enough hair above the forehead to take the colour from (short hair, a shaved head).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from kiosk.vision import landmarks as lm
from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checks._common import excess, r, result
from kiosk.vision.checks._regions import below_chin_box, output_view
from kiosk.vision.checks.face_occlusion import skin
from kiosk.vision.colour import to_lab
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "hair_tied"
_MIN_HAIR_PX = 30


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    if not a.has_face or a.crown_y is None or not a.crown_from_mask:
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
    for x0, x1 in ((mx - 1.1 * fw, mx - 0.45 * fw), (mx + 0.45 * fw, mx + 1.1 * fw)):
        ys, xs = box(x0, float(chin[1]), x1, float(chin[1]) + 0.5 * face_h)
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
    """Beside the neck over the shoulders, where loose hair was looked for."""
    return below_chin_box(a, 1.1, 0.0, 0.5)
