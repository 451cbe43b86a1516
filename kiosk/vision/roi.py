"""Rotated square regions of an image, and the warp into (and back out of) a model's input.

MediaPipe's landmark models are fed a square crop that is rotated so the eye line is horizontal; the
landmarks come back in crop pixels and are projected to the source. ``RotatedRect`` holds such a region
in source pixels, ``warp`` cuts it out, ``to_source`` maps crop coordinates back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from kiosk.vision.affine import warp_affine


@dataclass(frozen=True)
class RotatedRect:
    cx: float
    cy: float
    width: float
    height: float
    angle: float  # radians; the direction of the rect's x axis in image coordinates (y down)

    def axes(self) -> tuple[np.ndarray, np.ndarray]:
        c, s = math.cos(self.angle), math.sin(self.angle)
        return np.array([c, s]), np.array([-s, c])

    def corners(self) -> np.ndarray:
        ex, ey = self.axes()
        centre = np.array([self.cx, self.cy])
        hw, hh = self.width / 2, self.height / 2
        return np.array([centre + sx * hw * ex + sy * hh * ey for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))])

    def scaled(self, factor: float) -> RotatedRect:
        return RotatedRect(self.cx, self.cy, self.width * factor, self.height * factor, self.angle)


def square_roi(cx: float, cy: float, w: float, h: float, angle: float, scale: float) -> RotatedRect:
    """MediaPipe's RectTransformation with ``square_long``: the long side, times ``scale``."""
    side = max(w, h) * scale
    return RotatedRect(cx, cy, side, side, angle)


def angle_between(p0: np.ndarray, p1: np.ndarray) -> float:
    """Angle of the line p0 -> p1 in image coordinates (radians, clockwise positive since y is down)."""
    return math.atan2(float(p1[1] - p0[1]), float(p1[0] - p0[0]))


def _crop_to_rect_matrix(rect: RotatedRect, out_w: int, out_h: int) -> np.ndarray:
    """2x3 affine that maps source pixels to output pixels of the rect."""
    ex, ey = rect.axes()
    centre = np.array([rect.cx, rect.cy])
    src = np.array(
        [
            centre - rect.width / 2 * ex - rect.height / 2 * ey,
            centre + rect.width / 2 * ex - rect.height / 2 * ey,
            centre - rect.width / 2 * ex + rect.height / 2 * ey,
        ],
        dtype=np.float32,
    )
    dst = np.array([[0, 0], [out_w, 0], [0, out_h]], dtype=np.float32)
    return cv2.getAffineTransform(src, dst)


Coarse = tuple[np.ndarray, float]  # a downscaled copy of the image and its scale (copy px per image px)


def warp(image: np.ndarray, rect: RotatedRect, out_w: int, out_h: int, coarse: Coarse | None = None) -> np.ndarray:
    """Cut ``rect`` out of ``image`` into an out_w x out_h patch (bilinear, the same pixels under every
    OpenCV version), replicating the border outside.

    When the region is much larger than the patch, it is taken from ``coarse`` (a downscaled copy) if
    that still has enough pixels, or else first shrunk with area averaging, so the bilinear warp does
    not alias (a 900 px face region going into 192 px would otherwise shimmer) and a 12-megapixel still
    is not resampled for every model call.
    """
    if coarse is not None and rect.width * coarse[1] >= out_w and rect.height * coarse[1] >= out_h:
        image, k = coarse
        rect = RotatedRect(rect.cx * k, rect.cy * k, rect.width * k, rect.height * k, rect.angle)
    factor = max(rect.width / out_w, rect.height / out_h)
    src = image
    offset = np.zeros(2)
    scale = 1.0
    if factor > 1.8:
        pts = rect.corners()
        x0 = max(0, int(math.floor(pts[:, 0].min())) - 2)
        y0 = max(0, int(math.floor(pts[:, 1].min())) - 2)
        x1 = min(image.shape[1], int(math.ceil(pts[:, 0].max())) + 2)
        y1 = min(image.shape[0], int(math.ceil(pts[:, 1].max())) + 2)
        if x1 - x0 >= 2 and y1 - y0 >= 2:
            scale = 1.0 / factor
            sub = image[y0:y1, x0:x1]
            nw, nh = max(1, round(sub.shape[1] * scale)), max(1, round(sub.shape[0] * scale))
            src = cv2.resize(sub, (nw, nh), interpolation=cv2.INTER_AREA)
            scale = nw / sub.shape[1]
            offset = np.array([x0, y0], dtype=float)
    local = RotatedRect(
        (rect.cx - offset[0]) * scale,
        (rect.cy - offset[1]) * scale,
        rect.width * scale,
        rect.height * scale,
        rect.angle,
    )
    m = _crop_to_rect_matrix(local, out_w, out_h)
    # Not cv2.warpAffine: its pixels changed after OpenCV 4.11 (kiosk.vision.affine).
    return warp_affine(src, m, out_w, out_h)


def to_source(points: np.ndarray, rect: RotatedRect, out_w: int, out_h: int) -> np.ndarray:
    """Map (N, 2+) patch coordinates back to source pixels; a third column (depth) is scaled like x."""
    ex, ey = rect.axes()
    u = points[:, 0] / out_w - 0.5
    v = points[:, 1] / out_h - 0.5
    out = np.empty_like(points, dtype=np.float64)
    out[:, 0] = rect.cx + u * rect.width * ex[0] + v * rect.height * ey[0]
    out[:, 1] = rect.cy + u * rect.width * ex[1] + v * rect.height * ey[1]
    if points.shape[1] > 2:
        out[:, 2:] = points[:, 2:] * rect.width / out_w
    return out
