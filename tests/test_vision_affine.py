"""The face crops the models see are the same pixels under the Pi's OpenCV (4.11) and any newer one.

Newer OpenCV computes ``warpAffine`` differently, which moved the attribute probabilities by up to 0.11
and changed the whole verdict of 5 in 800 held-out photos between the development machine and the Pi
(``bench/pins.py``). ``kiosk.vision.affine`` reproduces 4.11's arithmetic; these tests pin its pixels.
"""

from __future__ import annotations

import hashlib
import math

import cv2
import numpy as np
import pytest

from kiosk.vision.affine import invert_affine, warp_affine
from kiosk.vision.attributes import CROP_H, CROP_W
from kiosk.vision.roi import RotatedRect, warp

OPENCV = tuple(int(p) for p in cv2.__version__.split(".")[:2])


def pattern(h: int = 40, w: int = 50) -> np.ndarray:
    """A busy BGR test card built from integer arithmetic only (no random generator whose stream could
    change between numpy versions)."""
    y, x, c = np.arange(h)[:, None, None], np.arange(w)[None, :, None], np.arange(3)
    return ((y * 37 + x * 91 + c * 53) % 256).astype(np.uint8)


def rotation(angle: float, scale: float, tx: float, ty: float) -> np.ndarray:
    c, s = scale * math.cos(angle), scale * math.sin(angle)
    return np.array([[c, -s, tx], [s, c, ty]])


def test_pixels_are_opencv_411s_under_every_version() -> None:
    # The digest is of cv2.warpAffine's output under OpenCV 4.11 (the Pi's pin); OpenCV 5's own
    # warpAffine gives e.g. [161, 186, 152] at (10, 10) where 4.11 gives [161, 185, 154].
    out = warp_affine(pattern(), rotation(0.3, 0.7, 5.25, -3.5), 24, 20)
    assert out.shape == (20, 24, 3) and out.dtype == np.uint8
    assert out[10, 10].tolist() == [161, 185, 154]
    assert hashlib.sha256(out.tobytes()).hexdigest() == (
        "e3365226cd74b74ec933a54acdacbed22326e7c47fe18ed4187e1e2331af7f9e"
    )


@pytest.mark.skipif(OPENCV >= (4, 12), reason="only OpenCV 4.11 and older compute warpAffine this way")
def test_identical_to_warpaffine_of_the_pis_opencv() -> None:
    img = cv2.resize(pattern(), (301, 257), interpolation=cv2.INTER_LINEAR)
    for i in range(40):
        m = rotation(-0.6 + 0.03 * i, 0.25 + 0.04 * i, -40.0 + 3.3 * i, 17.0 - 2.9 * i)
        want = cv2.warpAffine(img, m, (CROP_W, CROP_H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        assert np.array_equal(warp_affine(img, m, CROP_W, CROP_H), want), f"matrix {i}"


def test_integer_shift_moves_pixels_and_replicates_the_border() -> None:
    img = pattern(12, 16)
    out = warp_affine(img, np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]]), 16, 12)
    assert np.array_equal(out[1:, 2:], img[:-1, :-2])
    assert np.array_equal(out[0, 2:], img[0, :-2])  # the row above the image repeats its top row
    assert np.array_equal(out[1:, 0], img[:-1, 0])  # and the columns left of it its first column


def test_half_pixel_shift_averages_neighbours() -> None:
    img = np.zeros((4, 6, 3), np.uint8)
    img[:, 3:] = 200
    out = warp_affine(img, np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.0]]), 6, 4)
    assert out[:, 3].tolist() == [[100, 100, 100]] * 4  # halfway between 0 and 200


def test_inverse_is_opencvs() -> None:
    for i in range(20):
        m = rotation(0.1 * i - 1.0, 0.3 + 0.1 * i, 7.5 * i - 60, 3.25 - i)
        assert np.array_equal(invert_affine(m), cv2.invertAffineTransform(m))


def test_large_region_through_the_area_shrink_is_version_independent_too() -> None:
    # A region 7x the patch is first shrunk with area averaging (OpenCV code as well, and the same in
    # every version), then warped. The digest is of OpenCV 4.11's crop, before this module existed.
    img = cv2.resize(pattern(), (1200, 900), interpolation=cv2.INTER_NEAREST)
    rect = RotatedRect(600.0, 450.0, 700.0, 700.0 * CROP_H / CROP_W, 0.12)
    out = warp(img, rect, CROP_W, CROP_H)
    assert out.shape == (CROP_H, CROP_W, 3)
    assert hashlib.sha256(out.tobytes()).hexdigest() == (
        "d0c22d750fc3a09368301e8a7c9861b8432294e38e270e27891fb9d1557bd23b"
    )
