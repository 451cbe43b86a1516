"""eyes_open: both eyes naturally open, each judged on its own.

Per eye, the eyelid opening is the largest of three upper-to-lower lid distances across the iris (the
iris model's eye contour, which follows a shut lid that the mesh alone draws open), over T, as OFIQ
0x4D. An eye fails when its opening is under ``min_opening`` (closed or half-shut, sleepy eyes), and the
pair fails when the smaller eye is under ``min_ratio`` of the larger: one eye shut (a wink) while the
other is open. The ratio needs no absolute scale, so naturally narrow eyes, narrow on both sides, are
not failed by it; it is judged only up to ``ratio_max_yaw_deg`` of head turn, beyond which the far eye
looks narrower by perspective alone. Beyond ``near_eye_yaw_deg`` (a turn head_pose fails anyway) only the
more open eye is judged: the far eye, half behind the nose, reads shut on open-eyed press photos turned
25-50 degrees, while eyes shut on a turned head still fail on the near one.

What an open eye shows and a shut one does not: along the line midway between the lids, a dark iris
with lighter sclera on both sides; a shut eye shows one even lash line (``iris_contrast``). On small
photos the lid contour of a shut eye can still read a little open (an eye 15 px wide), so a wink
whose shut eye reads 0.7-0.75 of the open one passed on the opening ratio alone. The pair also fails
when the smaller eye is under ``wink_ratio`` of the larger AND its iris contrast is under
``wink_contrast`` of the other eye's. Comparing the two eyes of one face cancels what differs between
photos (light, blur, skin, resolution: the measure is in iris radii and relative to the skin, so it is
the same on a 92x112 grey photo and a booth still), which an absolute contrast limit cannot: on press
crops a narrow open eye shows as little contrast as a shut one, so the contrast does not decide for
both eyes shut, where there is no open eye to compare with (models/README.md, "Eyes").
"""

from __future__ import annotations

import cv2
import numpy as np

from kiosk.vision.analysis import PATCH_IED, FaceAnalysis
from kiosk.vision.checks._common import r, result, shortfall
from kiosk.vision.checks._regions import EYES, points_box
from kiosk.vision.landmarks import LEFT_EYE_REFINED, RIGHT_EYE_REFINED
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "eyes_open"
# Upper and lower lid points across the iris: outer third, middle, inner third.
RIGHT_LID_PAIRS = ((160, 144), (159, 145), (158, 153))
LEFT_LID_PAIRS = ((385, 380), (386, 374), (387, 373))
# Per eye (person's right first): iris centre, and the iris model's contour (lower lid corner to corner,
# then the upper lid), as landmarks.py lays it out.
_IRIS_EYES = ((468, RIGHT_EYE_REFINED), (473, LEFT_EYE_REFINED))


def openings(a: FaceAnalysis) -> tuple[float, float]:
    """(right eye, left eye) eyelid opening over T."""
    t = max(a.t, 1e-6)

    def one(pairs: tuple[tuple[int, int], ...]) -> float:
        return max(float(np.linalg.norm(a.pt(up) - a.pt(low))) for up, low in pairs) / t

    return one(RIGHT_LID_PAIRS), one(LEFT_LID_PAIRS)


def _sample(grey: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    return cv2.remap(grey, xs.astype(np.float32), ys.astype(np.float32), cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)  # fmt: skip


def iris_contrast(a: FaceAnalysis, which: int) -> float | None:
    """How much darker the iris is than the sclera beside it, over the skin's grey (0: right eye, 1: left).

    In the IED-64 face patch, with lengths in iris radii (the iris model's): the grey along the line
    midway between the upper and lower lid, 2.2 radii either side of the iris centre (0.5 radius thick);
    the darkest of it within 0.5 radius of the centre is the iris, the lightest 0.9-2 radii out on each
    side the sclera. Contrast = (mean of the two sides' lightest - the iris) / the skin, the median grey
    1.6-2.5 radii above and below the iris. Medians: open eyes 0.46-0.55 (narrow ones 0.28), shut eyes
    0.14 (one even lash line). None without a face patch."""
    if a.patch is None or a.mesh is None:
        return None
    grey = cv2.cvtColor(a.patch.bgr, cv2.COLOR_BGR2GRAY).astype(np.float32)
    pts = a.patch.points
    centre, contour = _IRIS_EYES[which]
    cx, cy = pts[centre]
    rad = max(1.5, a.mesh.iris_radius[which] * PATCH_IED / max(a.ied, 1e-6))
    lower = pts[list(contour[:9])]
    upper = pts[[contour[0], *contour[9:], contour[8]]]
    lower, upper = lower[np.argsort(lower[:, 0])], upper[np.argsort(upper[:, 0])]
    dx = np.linspace(-2.2, 2.2, 45)
    xs = cx + dx * rad
    mid = (np.interp(xs, lower[:, 0], lower[:, 1]) + np.interp(xs, upper[:, 0], upper[:, 1])) / 2
    band = np.array([-0.25, 0.0, 0.25])[:, None] * rad
    line = _sample(grey, np.repeat(xs[None, :], 3, 0), mid[None, :] + band).mean(axis=0)
    dy = np.linspace(-2.5, 2.5, 51)
    gx, gy = np.meshgrid(cx + np.linspace(-0.4, 0.4, 5) * rad, cy + dy * rad)
    skin = float(np.median(_sample(grey, gx, gy).mean(axis=1)[np.abs(dy) >= 1.6]))
    iris = float(line[np.abs(dx) <= 0.5].min())
    sclera = [float(line[(s * dx >= 0.9) & (s * dx <= 2.0)].max()) for s in (-1, 1)]
    return (float(np.mean(sclera)) - iris) / max(skin, 1.0)


def wink_contrast_ratio(a: FaceAnalysis, right: float, left: float, min_open: float) -> float | None:
    """The narrower eye's iris contrast over the wider eye's; None when either is not measured or the
    wider eye shows no iris either (contrast under ``min_open``: nothing to compare with)."""
    c_right, c_left = iris_contrast(a, 0), iris_contrast(a, 1)
    if c_right is None or c_left is None:
        return None
    c_small, c_large = (c_right, c_left) if right <= left else (c_left, c_right)
    return c_small / c_large if c_large >= min_open else None


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    if not a.has_face:
        return None
    limit, min_ratio = float(p.get("eyes_open.min_opening")), float(p.get("eyes_open.min_ratio"))
    right, left = openings(a)
    smaller, larger = min(right, left), max(right, left)
    ratio = smaller / larger if larger > 0 else 0.0
    frontal = a.pose is not None and abs(a.pose.yaw) <= float(p.get("eyes_open.ratio_max_yaw_deg"))
    far_eye_hidden = a.pose is not None and abs(a.pose.yaw) > float(p.get("eyes_open.near_eye_yaw_deg"))
    judged = larger if far_eye_hidden else smaller
    score = shortfall(judged, limit, limit / 6)
    if frontal:
        score = max(score, shortfall(ratio, min_ratio, 0.05))
    contrast_ratio = wink_contrast_ratio(a, right, left, float(p.get("eyes_open.wink_min_open_contrast")))
    dull_wink = False  # narrower than the other eye AND showing no iris beside it: a wink read a little open
    if frontal and contrast_ratio is not None and ratio < float(p.get("eyes_open.wink_ratio")):
        wink_contrast = float(p.get("eyes_open.wink_contrast"))
        score = max(score, shortfall(contrast_ratio, wink_contrast, 0.05))
        dull_wink = contrast_ratio < wink_contrast
    passed = judged >= limit and (not frontal or (ratio >= min_ratio and not dull_wink))
    value = {"right": r(right), "left": r(left), "ratio": r(ratio),
             "contrast_ratio": None if contrast_ratio is None else r(contrast_ratio)}  # fmt: skip
    return result(ID, p, passed, score, "closed", value)


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    return points_box(a, EYES, 0.12)
