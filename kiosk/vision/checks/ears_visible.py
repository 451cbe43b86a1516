"""ears_visible: both ears show (露耳), measured, not learnt: no labelled ear photos exist to train on.

Beside each face edge (mesh face-oval points at eye-to-nose height), a band 0.4 IED wide outward is
looked at in the IED-64 face patch. An ear is skin inside the person mask: pixels close in colour to the
cheeks (L* weighted half, since ears sit in other light). Hair over the ear is person but not skin;
background is neither. The profile's ``[ask] ears_visible = [fail under, ask under]`` judges the side with
less ear-like skin: under the first the check fails, under the second it asks ("if your hair covers your
ears ..."): a student knows where their hair is, the measurement is only a proxy.
A turned head hides one ear by geometry, so the check does not judge beyond ``max_yaw_deg`` (head_pose
and the live hints already ask the student to face the camera), nor on faces under ``min_ied_px`` eye
distance (a band of a dozen pixels is mostly blur; a booth still has an eye distance of 100 px or more),
nor when a tight crop cuts the ears off. The thresholds are proposals tested on images the tests make;
they need booth shots to calibrate (models/README.md).
"""

from __future__ import annotations

import numpy as np

from kiosk.vision.analysis import PATCH_IED, PATCH_SIDE, FaceAnalysis
from kiosk.vision.checks._common import ask_band, r, result, shortfall
from kiosk.vision.checks._regions import cheek_boxes, patch_box
from kiosk.vision.colour import to_lab
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region
from kiosk.vision.roi import RotatedRect, warp

ID = "ears_visible"
# Face-oval points from eye to nose height: the person's right side (image left), then the left side.
RIGHT_EDGE = (127, 234, 93)
LEFT_EDGE = (356, 454, 323)
NOSE_BOTTOM = 2


def person_in_patch(a: FaceAnalysis) -> np.ndarray | None:
    """The person mask resampled onto the face patch (None without a mask)."""
    if a.mask is None or a.patch is None:
        return None
    k = a.work_scale
    rc = a.patch.rect
    rect = RotatedRect(rc.cx * k, rc.cy * k, rc.width * k, rc.height * k, rc.angle)
    return warp(a.mask.astype(np.float32), rect, PATCH_SIDE, PATCH_SIDE) >= 0.5


def ear_skin_shares(a: FaceAnalysis, max_distance: float) -> tuple[float, float] | None:
    """Share of ear-like skin in the band beside each face edge (person's right, left)."""
    person = person_in_patch(a)
    if person is None or a.patch is None:
        return None
    bgr, pts = a.patch.bgr, a.patch.points
    cheek = np.median(np.concatenate([to_lab(bgr[ys, xs].reshape(-1, 3)) for ys, xs in cheek_boxes(a)]), axis=0)
    eye_y = float(np.mean([pts[i][1] for i in (33, 133, 362, 263)]))
    y0, y1 = int(round(eye_y)), int(round(pts[NOSE_BOTTOM][1]))
    width = int(round(0.4 * PATCH_IED))
    shares = []
    for edge, outward in ((RIGHT_EDGE, -1), (LEFT_EDGE, 1)):
        xe = float(min(pts[i][0] for i in edge)) if outward < 0 else float(max(pts[i][0] for i in edge))
        x0, x1 = (int(round(xe)) - width, int(round(xe))) if outward < 0 else (int(round(xe)), int(round(xe)) + width)
        x0, x1 = max(0, x0), min(PATCH_SIDE, x1)
        if x1 - x0 < width // 2 or y1 - y0 < 4:
            return None  # the band leaves the patch: not measurable
        lab = to_lab(bgr[y0:y1, x0:x1])
        d = np.sqrt(((lab[..., 0] - cheek[0]) / 2) ** 2 + (lab[..., 1] - cheek[1]) ** 2 + (lab[..., 2] - cheek[2]) ** 2)
        skin = (d <= max_distance) & person[y0:y1, x0:x1]
        shares.append(float(skin.mean()))
    return shares[0], shares[1]


def bands_in_frame(a: FaceAnalysis) -> bool:
    """Both ear bands lie inside the photo (a tight crop cuts the ears off: not measurable, not failed)."""
    w = a.size[0]
    reach = 0.4 * a.ied
    right = min(float(a.pt(i)[0]) for i in RIGHT_EDGE) - reach
    left = max(float(a.pt(i)[0]) for i in LEFT_EDGE) + reach
    return right >= 0 and left <= w


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    if a.patch is None or a.pose is None or abs(a.pose.yaw) > float(p.get("ears_visible.max_yaw_deg")):
        return None
    if a.ied < float(p.get("ears_visible.min_ied_px")) or not bands_in_frame(a):
        return None  # too few pixels beside the face to tell ear skin from hair, or the ears cut off
    shares = ear_skin_shares(a, float(p.get("ears_visible.max_colour_distance")))
    if shares is None:
        return None
    fail_under, ask_under = ask_band(p, ID)
    worst = min(shares)
    value = {"right": r(shares[0]), "left": r(shares[1])}
    passed = worst >= fail_under
    return result(ID, p, passed, shortfall(worst, fail_under, 0.04), "covered", value, ask=worst < ask_under)


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    """The band beside the face edge where the ear was looked for: the side with less ear showing."""
    if a.patch is None:
        return None
    pts = a.patch.points
    eye_y = float(np.mean([pts[i][1] for i in (33, 133, 362, 263)]))
    y0, y1 = eye_y, float(pts[NOSE_BOTTOM][1])
    width = 0.4 * PATCH_IED
    values = res.value if isinstance(res.value, dict) else {}
    if values.get("left", 1.0) < values.get("right", 1.0):
        xe = float(max(pts[i][0] for i in LEFT_EDGE))
        return patch_box(a, xe, y0, min(PATCH_SIDE, xe + width), y1)
    xe = float(min(pts[i][0] for i in RIGHT_EDGE))
    return patch_box(a, max(0.0, xe - width), y0, xe, y1)
