"""Measurements of the lens area of glasses in the IED-64 face patch (photo-spec section 6, `glasses`).

The lens area of each eye is the eye box (the eye corners widened by 0.15 IED, from just under the brow
to 0.35 IED below the iris centre) without the iris circle. Tint compares its colour with the cheeks;
glare looks for near-white blobs in it (outside the eye opening too: a sclera is white by nature); a
frame over the eye is a horizontal edge running across the iris circle away from the eyelid margins.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from kiosk.vision import landmarks as lm
from kiosk.vision.analysis import PATCH_IED, FaceAnalysis
from kiosk.vision.checks._common import polygon_mask
from kiosk.vision.checks._regions import cheek_boxes
from kiosk.vision.colour import to_lab

RIGHT_BROW_LOWER = (46, 53, 52, 65, 55)
LEFT_BROW_LOWER = (276, 283, 282, 295, 285)
# (corners, iris centre index, upper lid, lower lid, lower brow points, eye contour), person's right first.
EYES = (
    ((lm.RIGHT_EYE_OUTER, lm.RIGHT_EYE_INNER), 468, lm.RIGHT_UPPER_LID, lm.RIGHT_LOWER_LID, RIGHT_BROW_LOWER,
     lm.RIGHT_EYE_CONTOUR),
    ((lm.LEFT_EYE_INNER, lm.LEFT_EYE_OUTER), 473, lm.LEFT_UPPER_LID, lm.LEFT_LOWER_LID, LEFT_BROW_LOWER,
     lm.LEFT_EYE_CONTOUR),
)  # fmt: skip


@dataclass(frozen=True)
class LensRules:
    glare_min_v: float = 245.0  # HSV value, 0-255
    glare_max_s: float = 0.15  # HSV saturation, 0-1
    frame_min_edge: float = 160.0  # |Sobel y| of grey levels (a step of 40 levels gives 160)
    frame_min_coverage: float = 0.8  # share of the iris columns the edge must run across
    frame_min_ied_px: float = 40.0  # smaller faces: an eye is a few pixels, lids and rims blur together


@dataclass(frozen=True)
class LensMeasure:
    l_drop: float  # cheek L* minus lens-area L*, worse eye
    chroma_shift: float  # distance of the lens area's mean a*b* from the cheeks', worse eye
    glare_share: float  # largest near-white blob / eye box area, worse eye
    frame_coverage: float | None  # largest share of iris columns one strong horizontal edge crosses


def _iris_radius_patch(a: FaceAnalysis, which: int) -> float:
    assert a.mesh is not None
    return max(2.0, a.mesh.iris_radius[which] * PATCH_IED / max(a.ied, 1e-6))


def measure(a: FaceAnalysis, rules: LensRules = LensRules()) -> LensMeasure | None:
    """None when the face patch is missing or an eye box falls outside it."""
    if a.patch is None or a.mesh is None:
        return None
    bgr, pts = a.patch.bgr, a.patch.points
    h, w = bgr.shape[:2]
    cheeks = [to_lab(bgr[ys, xs].reshape(-1, 3)) for ys, xs in cheek_boxes(a)]
    cheek = np.concatenate(cheeks).mean(axis=0)
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY).astype(np.float32)
    sobel_y = np.abs(cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3))
    white = (hsv[..., 2] >= rules.glare_min_v) & (hsv[..., 1] <= rules.glare_max_s * 255)
    drops, shifts, glares, frames = [], [], [], []
    for which, (corners, iris, _, _, brow, contour) in enumerate(EYES):
        cx, cy = pts[iris]
        rad = _iris_radius_patch(a, which)
        xs = [pts[c][0] for c in corners]
        x0, x1 = int(min(xs) - 0.15 * PATCH_IED), int(max(xs) + 0.15 * PATCH_IED)
        y0 = int(np.mean([pts[b][1] for b in brow]) + 2)
        y1 = int(cy + 0.35 * PATCH_IED)
        if x0 < 0 or y0 < 0 or x1 > w or y1 > h or x1 - x0 < 8 or y1 - y0 < 8:
            return None
        box = np.zeros((h, w), bool)
        box[y0:y1, x0:x1] = True
        circle = np.zeros((h, w), np.uint8)
        cv2.circle(circle, (int(round(cx)), int(round(cy))), int(round(rad)), 1, -1)
        lens = box & ~circle.astype(bool)
        lab = to_lab(bgr[lens])
        drops.append(float(cheek[0] - lab[:, 0].mean()))
        shifts.append(float(np.hypot(*(lab[:, 1:].mean(axis=0) - cheek[1:]))))
        opening = polygon_mask((h, w), pts[list(contour)], hull=True)
        blobs = (white & lens & ~opening).astype(np.uint8)
        n, _, stats, _ = cv2.connectedComponentsWithStats(blobs, connectivity=8)
        largest = int(stats[1:, cv2.CC_STAT_AREA].max()) if n > 1 else 0
        glares.append(largest / float(box.sum()))
        frames.append(_frame_coverage(sobel_y, cx, cy, rad, _lid_curves(pts, contour), rules))
    frame = max(frames) if a.ied >= rules.frame_min_ied_px else None  # not measurable on a small face
    return LensMeasure(max(drops), max(shifts), max(glares), frame)


def _lid_curves(pts: np.ndarray, contour: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of the upper and lower eyelid, each sorted by x (the contour runs corner, lower lid, corner,
    upper lid)."""
    lower = pts[list(contour[:9])]
    upper = pts[list(contour[8:]) + [contour[0]]]
    return upper[np.argsort(upper[:, 0])], lower[np.argsort(lower[:, 0])]


def _frame_coverage(
    sobel_y: np.ndarray, cx: float, cy: float, rad: float, lids: tuple[np.ndarray, np.ndarray], rules: LensRules
) -> float:
    """Largest share of the columns across the eye (iris centre +/- 1.5 radii) that one row's strong
    horizontal edge spans, over the rows of the iris circle; pixels within 2.5 px of an eyelid margin
    (followed column by column) are left out, so the lids themselves never read as a frame."""
    c0, c1 = max(int(round(cx - 1.5 * rad)), 0), min(int(round(cx + 1.5 * rad)) + 1, sobel_y.shape[1])
    r0, r1 = max(int(round(cy - rad)), 0), min(int(round(cy + rad)) + 1, sobel_y.shape[0])
    if c1 <= c0 or r1 <= r0:
        return 0.0
    cols = np.arange(c0, c1, dtype=float)
    near_lid = np.zeros((r1 - r0, c1 - c0), bool)
    rows = np.arange(r0, r1, dtype=float)[:, None]
    for lid in lids:
        near_lid |= np.abs(rows - np.interp(cols, lid[:, 0], lid[:, 1])[None, :]) <= 2.5
    strong = (sobel_y[r0:r1, c0:c1] >= rules.frame_min_edge) & ~near_lid
    eligible = (~near_lid).sum(axis=1)
    # A row counts when at least half of it is away from the lids; its coverage is over those pixels.
    cover = np.where(eligible >= 0.5 * (c1 - c0), strong.sum(axis=1) / np.maximum(eligible, 1), 0.0)
    return float(cover.max())
