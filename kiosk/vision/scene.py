"""Booth-like scenes made from ordinary portraits: the person cut out with the segmentation mask and
placed on the backdrop colour at booth scale. The tests, the benchmark and demos use it, because real
booth stills of consenting students are not available while developing; it is never used to judge."""

from __future__ import annotations

import cv2
import numpy as np

from kiosk.vision.analysis import Analyser

BOOTH_BLUE_BGR = (255, 197, 100)  # RGB(100, 197, 255), the spec's reference light blue


def booth_scene(
    analyser: Analyser,
    portrait: np.ndarray,
    size: tuple[int, int] = (4056, 3040),
    face_px: float = 400.0,
    eye_at: tuple[float, float] = (0.5, 0.42),
    backdrop_bgr: tuple[int, int, int] = BOOTH_BLUE_BGR,
) -> np.ndarray:
    """The portrait's main person on a uniform backdrop, scaled so the face is ``face_px`` wide and
    the pupil midpoint sits at ``eye_at`` (fractions of ``size``). Raises ValueError without a face."""
    a = analyser.analyse(portrait)
    if a.mesh is None or a.mask is None or a.work is None:
        raise ValueError("no face in the portrait")
    k = face_px / a.face_width
    w, h = size
    mid = a.pupil_mid * k
    tx, ty = eye_at[0] * w - mid[0], eye_at[1] * h - mid[1]
    m = np.float32([[k, 0, tx], [0, k, ty]])
    person = cv2.warpAffine(portrait, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT)
    mk = m.copy()
    mk[:, :2] /= a.work_scale
    alpha = cv2.warpAffine(a.mask, mk, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    alpha = cv2.GaussianBlur(np.clip((alpha - 0.3) / 0.4, 0, 1), (0, 0), max(1.0, k)).astype(np.float32)
    out = np.empty_like(person)
    for ch in range(3):  # per channel in float32: a 12 MP blend stays small
        out[..., ch] = (person[..., ch] * alpha + backdrop_bgr[ch] * (1 - alpha)).astype(np.uint8)
    return out
