"""Small frame helpers shared by the camera drivers.

Every camera hands the booth BGR ``uint8`` arrays with three channels, and preview frames of exactly
the configured preview size, so code scanning and the live view never have to care which camera is
behind them. These helpers do that normalising in one place.
"""

from __future__ import annotations

import cv2
import numpy as np


def as_bgr(image: np.ndarray) -> np.ndarray:
    """``image`` as a contiguous 3-channel BGR ``uint8`` array (grey and BGRA are converted).

    Raises ValueError for anything that is not an 8-bit image, because that is a programming error
    rather than a camera fault.
    """
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise ValueError("expected a uint8 numpy image")
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.ndim == 3 and image.shape[2] == 3:
        return np.ascontiguousarray(image)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if image.ndim == 3 and image.shape[2] == 1:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    raise ValueError(f"expected an HxW, HxWx3 or HxWx4 image, got shape {image.shape}")


def letterbox(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Fit ``image`` inside ``size`` (width, height), keeping its aspect ratio, on a black background.

    Letterboxing rather than stretching keeps faces undistorted, which matters for posing guides and
    for code scanners that expect square modules. Always returns a new array.
    """
    width, height = size
    h, w = image.shape[:2]
    if (w, h) == (width, height):
        return image.copy()
    scale = min(width / w, height / h)
    new_w = max(1, min(width, round(w * scale)))
    new_h = max(1, min(height, round(h * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(image, (new_w, new_h), interpolation=interpolation)
    out = np.zeros((height, width, 3), dtype=np.uint8)
    x = (width - new_w) // 2
    y = (height - new_h) // 2
    out[y : y + new_h, x : x + new_w] = resized
    return out


def black_frame(size: tuple[int, int]) -> np.ndarray:
    """A black BGR frame of ``size`` (width, height)."""
    width, height = size
    return np.zeros((height, width, 3), dtype=np.uint8)
