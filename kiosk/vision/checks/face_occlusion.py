"""face_occlusion: nothing covers the face (a mask, a scarf, hair or a hand across it), OFIQ 0x51's idea.

Without OFIQ's occlusion-segmentation model, the check looks where an occluder sits and skin must
show: the nose and the two OFIQ cheek squares of the IED-64 face patch. Each region's share of
skin-coloured pixels (the YCrCb skin box, the same one the clothing check takes skin out with, and at
least half as bright as the face's brighter part) must be at least ``min_skin_share``; the region with
the least skin decides. A mask or scarf covers the nose and cheeks, long hair across the face a cheek.
A hand is skin-coloured, so a hand flat on a cheek is not caught; light from one side that leaves a
cheek in deep shadow reads as covered (the booth's lights are even). A grey photo has no skin colour to
go by, and a head turned beyond the pose limit shows a cheek edge-on: neither is judged."""

from __future__ import annotations

import cv2
import numpy as np

from kiosk.vision import landmarks as lm
from kiosk.vision.analysis import PATCH_IED, FaceAnalysis
from kiosk.vision.checks._common import r, result, shortfall
from kiosk.vision.checks._regions import cheek_boxes, patch_box
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "face_occlusion"
NOSE_BRIDGE, NOSE_BOTTOM = 6, 2
_GREY_CHROMA = 6.0  # the face's median |Cr-128| + |Cb-128| under this: a grey (or nearly grey) photo


def skin(bgr: np.ndarray, min_y: float = 0.0) -> np.ndarray:
    """The YCrCb skin box (Cr 135-180, Cb 85-135) per pixel, at least ``min_y`` bright (dark brown hair
    has skin's hue and differs in brightness)."""
    ycc = cv2.cvtColor(bgr, cv2.COLOR_BGR2YCrCb)
    box = (ycc[..., 1] >= 135) & (ycc[..., 1] <= 180) & (ycc[..., 2] >= 85) & (ycc[..., 2] <= 135)
    return box & (ycc[..., 0] >= min_y)


def is_grey(a: FaceAnalysis) -> bool:
    """A grey (or nearly grey) photo: the face's median |Cr-128| + |Cb-128| is under a few levels."""
    if a.patch is None:
        return False
    ycc = cv2.cvtColor(a.patch.bgr, cv2.COLOR_BGR2YCrCb).reshape(-1, 3).astype(float)
    return float(np.median(np.abs(ycc[:, 1] - 128) + np.abs(ycc[:, 2] - 128))) < _GREY_CHROMA


def regions(a: FaceAnalysis) -> dict[str, tuple[slice, slice]]:
    """Nose (bridge to bottom, 0.3 IED wide) and cheek squares in the face patch."""
    assert a.patch is not None
    pts = a.patch.points
    h, w = a.patch.bgr.shape[:2]
    top, bottom = pts[NOSE_BRIDGE], pts[NOSE_BOTTOM]
    half = 0.15 * PATCH_IED
    cx = float((top[0] + bottom[0]) / 2)
    y0, y1 = int(max(0, top[1])), int(min(h, bottom[1]))
    nose = (slice(y0, max(y1, y0 + 1)), slice(int(max(0, cx - half)), int(min(w, cx + half))))
    right, left = cheek_boxes(a)
    return {"nose": nose, "right_cheek": right, "left_cheek": left}


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    if a.patch is None or a.pose is None or abs(a.pose.yaw) > float(p.get("pose.yaw_deg")):
        return None  # a turned head shows one cheek edge-on: head_pose asks to face the camera first
    bgr = a.patch.bgr
    hull = cv2.convexHull(np.round(a.patch.points[: lm.RIGHT_IRIS.start]).astype(np.int32))
    face = np.zeros(bgr.shape[:2], np.uint8)
    cv2.fillPoly(face, [hull.reshape(-1, 1, 2)], 1)
    ycc = cv2.cvtColor(bgr, cv2.COLOR_BGR2YCrCb)[face.astype(bool)].astype(float)
    if ycc.size == 0 or float(np.median(np.abs(ycc[:, 1] - 128) + np.abs(ycc[:, 2] - 128))) < _GREY_CHROMA:
        return None
    # Skin is at least half as bright as the brighter part of the face (its 75th percentile luminance).
    min_y = 0.5 * float(np.percentile(ycc[:, 0], 75))
    shares = {}
    for name, (ys, xs) in regions(a).items():
        part = bgr[ys, xs]
        if part.size == 0:
            return None
        shares[name] = float(skin(part, min_y).mean())
    need = float(p.get("face_occlusion.min_skin_share"))
    worst = min(shares, key=lambda k: shares[k])
    value = {k: r(v) for k, v in shares.items()}
    return result(ID, p, shares[worst] >= need, shortfall(shares[worst], need, 0.08), "covered", value)


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    """The region with the least skin (the one that decided)."""
    if a.patch is None or not isinstance(res.value, dict) or not res.value:
        return None
    worst = min(res.value, key=lambda k: res.value[k])
    ys, xs = regions(a)[worst]
    return patch_box(a, xs.start, ys.start, xs.stop, ys.stop)
