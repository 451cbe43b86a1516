"""Input normalisation: whatever the camera or a file gives, the models get 8-bit BGR.

Odd inputs (grayscale, an alpha channel, 16-bit, float, a 1x1 image) must produce a report, never an
exception deep inside a model, so every entry point passes its image through ``as_bgr`` first.
"""

from __future__ import annotations

import cv2
import numpy as np


def as_bgr(image: np.ndarray) -> np.ndarray:
    """A 3-channel uint8 BGR view or copy of ``image``; raises ValueError only for non-images."""
    img = np.asarray(image)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim not in (2, 3) or img.size == 0 or (img.ndim == 3 and img.shape[2] not in (3, 4)):
        raise ValueError(f"not an image: shape {img.shape}")
    if img.dtype != np.uint8:
        if img.dtype == np.uint16:
            img = (img >> 8).astype(np.uint8)
        elif np.issubdtype(img.dtype, np.floating):
            top = 1.0 if float(np.nanmax(img)) <= 1.0 else 255.0
            img = np.clip(np.nan_to_num(img) * (255.0 / top), 0, 255).astype(np.uint8)
        else:
            img = np.clip(img, 0, 255).astype(np.uint8)
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    if img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    return img


def downscale(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """A copy whose long side is at most ``max_side`` (area averaging), and the scale applied.

    The factor is an integer when that keeps the copy within 25 % of ``max_side``: OpenCV's area
    averaging has a fast path for integer factors (4056x3040 / 4 takes a third of the time of / 3.96).
    """
    h, w = image.shape[:2]
    if max(h, w) <= max_side:
        return image, 1.0
    k = -(-max(h, w) // max_side)
    scale = 1.0 / k if max(h, w) / k >= 0.75 * max_side else max_side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), size[0] / w
