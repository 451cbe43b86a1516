"""Bilinear affine warp whose pixels do not depend on the OpenCV version.

``cv2.warpAffine`` changed its bilinear arithmetic after OpenCV 4.11 (the Pi's pin, see
``systemd/pi-constraints.txt``): 4.11 rounds each source coordinate to 1/32 pixel and blends with 15-bit
fixed-point weights, newer versions compute in floating point. The crops the face models see then differ
by up to a few grey levels, enough to move the attribute probabilities by several hundredths and a check
across its threshold, so the accuracy measured on a development machine would not be the Pi's.

Here the fixed-point coordinates are computed in numpy exactly as OpenCV 4.11's ``warpAffine`` does, and
``cv2.remap`` is given them as fixed-point maps: its table-driven bilinear path is integer arithmetic that
every version shares. The result is bit-identical to 4.11's ``warpAffine`` (what the Pi has always run)
under any OpenCV version.
"""

from __future__ import annotations

import cv2
import numpy as np

INTER_BITS = 5  # OpenCV's sub-pixel precision of a map coordinate: 1/32 pixel
INTER_TAB_SIZE = 1 << INTER_BITS
AB_BITS = 10  # OpenCV's fixed-point precision of the affine coefficients in warpAffine
AB_SCALE = 1 << AB_BITS
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


def invert_affine(m: np.ndarray) -> np.ndarray:
    """The inverse of a 2x3 affine, in the order of operations of ``cv2.invertAffineTransform`` (in
    Python floats, so no compiler may fuse a multiply-add and change a last bit)."""
    a, b, c = (float(v) for v in m[0])
    d, e, f = (float(v) for v in m[1])
    det = a * e - b * d
    det = 1.0 / det if det != 0 else 0.0
    a11, a22, a12, a21 = e * det, a * det, -b * det, -d * det
    return np.array([[a11, a12, -a11 * c - a12 * f], [a21, a22, -a21 * c - a22 * f]], dtype=np.float64)


def _to_int(x: np.ndarray) -> np.ndarray:
    """OpenCV's saturate_cast<int> of a double: round half to even, clamp to int32."""
    out: np.ndarray = np.clip(np.rint(x), _INT_MIN, _INT_MAX).astype(np.int32)
    return out


def fixed_point_maps(m: np.ndarray, out_w: int, out_h: int) -> tuple[np.ndarray, np.ndarray]:
    """The maps ``cv2.remap`` takes in fixed point for the source -> output affine ``m``: integer source
    pixel (int16 x, y) and the 1/32-pixel fraction as a table index (uint16), per output pixel.

    int32 arithmetic as in OpenCV (and in place: this runs for every model crop, a few per still).
    """
    inv = invert_affine(m)
    xs = np.arange(out_w, dtype=np.float64)
    ys = np.arange(out_h, dtype=np.float64)
    round_delta = AB_SCALE // INTER_TAB_SIZE // 2
    x = _to_int((inv[0, 1] * ys + inv[0, 2]) * AB_SCALE)[:, None] + round_delta + _to_int(inv[0, 0] * xs * AB_SCALE)
    y = _to_int((inv[1, 1] * ys + inv[1, 2]) * AB_SCALE)[:, None] + round_delta + _to_int(inv[1, 0] * xs * AB_SCALE)
    x >>= AB_BITS - INTER_BITS
    y >>= AB_BITS - INTER_BITS
    frac = ((y & (INTER_TAB_SIZE - 1)) * INTER_TAB_SIZE + (x & (INTER_TAB_SIZE - 1))).astype(np.uint16)
    x >>= INTER_BITS
    y >>= INTER_BITS
    if min(int(x.min()), int(y.min())) < -32768 or max(int(x.max()), int(y.max())) > 32767:
        np.clip(x, -32768, 32767, out=x)  # saturate_cast<short>, for points far outside any image
        np.clip(y, -32768, 32767, out=y)
    whole = np.empty((out_h, out_w, 2), np.int16)
    whole[..., 0] = x
    whole[..., 1] = y
    return whole, frac


def warp_affine(src: np.ndarray, m: np.ndarray, out_w: int, out_h: int) -> np.ndarray:
    """``cv2.warpAffine(src, m, (out_w, out_h), INTER_LINEAR, BORDER_REPLICATE)`` as OpenCV 4.11 computes
    it, the same under every version."""
    whole, frac = fixed_point_maps(m, out_w, out_h)
    return cv2.remap(src, whole, frac, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
