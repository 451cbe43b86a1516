"""Cutting a rectangle out of the still and resampling it, the one way every output image is made.

Area averaging (``cv2.INTER_AREA``) is the right filter for the downscaling the solver guarantees
(scale <= 1): it averages every source pixel into the result, so fine texture neither aliases nor
sharpens. Lanczos is used only if a caller asks for an enlargement, which the registration photo never
does. Nothing is rotated, mirrored, padded or stretched here.
"""

from __future__ import annotations

import cv2
import numpy as np


def as_bgr(image: np.ndarray) -> np.ndarray:
    """The still as 8-bit, 3-channel BGR (grey is expanded, alpha dropped), because the file must be 24-bit."""
    if image.dtype != np.uint8:
        raise ValueError(f"expected an 8-bit image, got {image.dtype}")
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if image.ndim == 3 and image.shape[2] == 3:
        return image
    raise ValueError(f"unsupported image shape {image.shape}")


def crop_resize(image: np.ndarray, rect: tuple[int, int, int, int], size: tuple[int, int]) -> np.ndarray:
    """Cut ``rect`` = (x, y, w, h) in whole source pixels and resample it to ``size`` = (w, h)."""
    x, y, w, h = rect
    if x < 0 or y < 0 or w <= 0 or h <= 0 or x + w > image.shape[1] or y + h > image.shape[0]:
        raise ValueError(f"crop {rect} is not inside the {image.shape[1]}x{image.shape[0]} image")
    crop = image[y : y + h, x : x + w]
    if (w, h) == tuple(size):
        return np.ascontiguousarray(crop)
    enlarging = size[0] > w or size[1] > h
    interp = cv2.INTER_LANCZOS4 if enlarging else cv2.INTER_AREA
    return cv2.resize(crop, size, interpolation=interp)
