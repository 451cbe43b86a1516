"""Face regions in the IED-64 face patch that several checks measure (OFIQ's cheek squares, the face
hull), so that exposure, illumination and colour look at the same pixels."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import ArrayLike

from kiosk.vision import landmarks as lm
from kiosk.vision.analysis import PATCH_IED, PATCH_SIDE, FaceAnalysis
from kiosk.vision.checks._common import polygon_mask
from kiosk.vision.report import Region


def face_hull(a: FaceAnalysis) -> np.ndarray:
    assert a.patch is not None
    return polygon_mask(a.patch.bgr.shape[:2], a.patch.points[:468], hull=True)


def skin_region(a: FaceAnalysis) -> np.ndarray:
    """Face hull without eyes, brows and lips: the skin whose exposure the student and lights control
    (pupils, brows and the mouth are dark by nature and would read as under-exposure)."""
    assert a.patch is not None
    shape = a.patch.bgr.shape[:2]
    skin = face_hull(a)
    parts: np.ndarray = np.zeros(shape, dtype=np.uint8)
    for idx in (lm.RIGHT_EYE_CONTOUR, lm.LEFT_EYE_CONTOUR, lm.RIGHT_BROW, lm.LEFT_BROW, lm.OUTER_LIPS):
        parts |= polygon_mask(shape, a.patch.points[list(idx)], hull=True).astype(np.uint8)
    parts = cv2.dilate(parts, np.ones((5, 5), np.uint8))
    return skin & ~parts.astype(bool)


def cheek_boxes(a: FaceAnalysis) -> list[tuple[slice, slice]]:
    """OFIQ 0x43 cheek squares: side 0.3 IED, half the eye-to-mouth distance below each eye centre."""
    assert a.patch is not None
    pts = a.patch.points
    mouth_y = (pts[lm.MOUTH_RIGHT][1] + pts[lm.MOUTH_LEFT][1]) / 2
    half = 0.15 * PATCH_IED
    h, w = a.patch.bgr.shape[:2]
    boxes = []
    for c0, c1 in ((lm.RIGHT_EYE_OUTER, lm.RIGHT_EYE_INNER), (lm.LEFT_EYE_INNER, lm.LEFT_EYE_OUTER)):
        eye = (pts[c0] + pts[c1]) / 2
        cx, cy = eye[0], eye[1] + 0.5 * (mouth_y - eye[1])
        x0, x1 = int(max(0, cx - half)), int(min(w, cx + half))
        y0, y1 = int(max(0, cy - half)), int(min(h, cy + half))
        boxes.append((slice(y0, max(y1, y0 + 1)), slice(x0, max(x1, x0 + 1))))
    return boxes


@dataclass(frozen=True)
class OutputView:
    """The part of the source the 480x640 output shows, from the work copy, at most 256 px high.

    Background, clothing and shoulders are judged here: only what ends up in the photo counts, and a
    256 px view is plenty for smooth regions while keeping per-pixel colour maths cheap."""

    bgr: np.ndarray
    person: np.ndarray  # person probability, same size
    x0: float  # source px of the view's origin
    y0: float
    k: float  # view px per source px
    out_scale: float  # output px per source px

    def to_view(self, xy: ArrayLike) -> np.ndarray:
        return (np.asarray(xy, dtype=float) - [self.x0, self.y0]) * self.k

    @property
    def px_per_output_px(self) -> float:
        return self.k / self.out_scale


def output_view(a: FaceAnalysis, height: int = 256) -> OutputView | None:
    if a.region is None or a.work is None or a.mask is None:
        return None
    x0, y0, w, h = a.region
    ws = a.work_scale
    wx0, wy0 = int(max(0, np.floor(x0 * ws))), int(max(0, np.floor(y0 * ws)))
    wx1 = int(min(a.work.shape[1], np.ceil((x0 + w) * ws)))
    wy1 = int(min(a.work.shape[0], np.ceil((y0 + h) * ws)))
    if wx1 - wx0 < 8 or wy1 - wy0 < 8:
        return None
    sub, msk = a.work[wy0:wy1, wx0:wx1], a.mask[wy0:wy1, wx0:wx1]
    f = min(1.0, height / sub.shape[0])
    size = (max(1, round(sub.shape[1] * f)), max(1, round(sub.shape[0] * f)))
    if f < 1.0:
        sub = cv2.resize(sub, size, interpolation=cv2.INTER_AREA)
        msk = cv2.resize(msk, size, interpolation=cv2.INTER_AREA)
    out_scale = a.crop.scale if a.crop is not None and a.crop.scale else 240.0 / max(a.face_width, 1.0)
    return OutputView(sub, msk, wx0 / ws, wy0 / ws, ws * size[0] / (wx1 - wx0), out_scale)


# -- where a check looked, in source pixels, for the review screen's outlines ----------------------


def clip_box(a: FaceAnalysis, x0: float, y0: float, x1: float, y1: float) -> Region | None:
    """(x, y, w, h) of the rectangle clipped to the image; None when nothing of it is inside."""
    w, h = a.size
    x0, y0, x1, y1 = max(0.0, x0), max(0.0, y0), min(float(w), x1), min(float(h), y1)
    if x1 - x0 < 1 or y1 - y0 < 1:
        return None
    return (float(x0), float(y0), float(x1 - x0), float(y1 - y0))


def points_box(a: FaceAnalysis, indices: Iterable[int], pad_ied: float = 0.0) -> Region | None:
    """The box around mesh points, widened by ``pad_ied`` eye distances on every side."""
    if a.mesh is None:
        return None
    pts = a.mesh.points[list(indices), :2]
    pad = pad_ied * a.ied
    (x0, y0), (x1, y1) = pts.min(axis=0) - pad, pts.max(axis=0) + pad
    return clip_box(a, float(x0), float(y0), float(x1), float(y1))


def patch_box(a: FaceAnalysis, x0: float, y0: float, x1: float, y1: float) -> Region | None:
    """A box in face-patch pixels as the upright box around it in the source (the patch is rotated)."""
    if a.patch is None:
        return None
    rect = a.patch.rect
    ex, ey = rect.axes()
    k = rect.width / PATCH_SIDE
    corners = [
        np.array([rect.cx, rect.cy]) + ((u - PATCH_SIDE / 2) * k) * ex + ((v - PATCH_SIDE / 2) * k) * ey
        for u, v in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
    ]
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    return clip_box(a, min(xs), min(ys), max(xs), max(ys))


def face_box(a: FaceAnalysis) -> Region | None:
    """The face from crown (or forehead) to chin, cheek to cheek."""
    if a.mesh is None:
        return None
    xs = (float(a.pt(lm.CHEEK_RIGHT)[0]), float(a.pt(lm.CHEEK_LEFT)[0]))
    top = a.crown_y if a.crown_y is not None else float(a.pt(lm.FOREHEAD)[1])
    return clip_box(a, min(xs), min(top, float(a.pt(lm.FOREHEAD)[1])), max(xs), float(a.pt(lm.CHIN)[1]))


def below_chin_box(a: FaceAnalysis, half_width_fw: float, top_fh: float, bottom_fh: float) -> Region | None:
    """A box below the chin: the face centre +/- ``half_width_fw`` face widths, from ``top_fh`` to
    ``bottom_fh`` face heights (chin to forehead) below the chin (clothing, shoulders)."""
    if a.mesh is None:
        return None
    chin = a.pt(lm.CHIN)
    face_h = float(np.linalg.norm(chin - a.pt(lm.FOREHEAD)))
    mx, fw = float(a.pupil_mid[0]), a.face_width
    return clip_box(
        a, mx - half_width_fw * fw, chin[1] + top_fh * face_h, mx + half_width_fw * fw, chin[1] + bottom_fh * face_h
    )


EYES = lm.RIGHT_EYE_CONTOUR + lm.LEFT_EYE_CONTOUR
BROWS = lm.RIGHT_BROW + lm.LEFT_BROW
