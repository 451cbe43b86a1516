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
    m = np.array([[k, 0, tx], [0, k, ty]], dtype=np.float32)
    person = cv2.warpAffine(portrait, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT)
    mk = m.copy()
    mk[:, :2] /= a.work_scale
    alpha = cv2.warpAffine(a.mask, mk, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    alpha = cv2.GaussianBlur(np.clip((alpha - 0.3) / 0.4, 0, 1), (0, 0), max(1.0, k)).astype(np.float32)
    out = np.empty_like(person)
    for ch in range(3):  # per channel in float32: a 12 MP blend stays small
        out[..., ch] = (person[..., ch] * alpha + backdrop_bgr[ch] * (1 - alpha)).astype(np.uint8)
    return out


# The eye contour of each eye (iris-model refined), and which mesh points are its corners.
_EYE_POINTS = {
    "right": (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246),
    "left": (362, 382, 381, 380, 374, 373, 390, 249, 263, 466, 388, 387, 386, 385, 384, 398),
}


def wink(analyser: Analyser, open_bgr: np.ndarray, shut_bgr: np.ndarray, side: str = "right") -> np.ndarray | None:
    """A one-eye-shut photo: the ``side`` eye (the person's) of ``shut_bgr`` (the same person with the
    eyes shut) warped onto ``open_bgr`` by the two eye contours and blended in with a soft oval, its
    brightness matched. No real photo of a wink is at hand; None when either photo has no face."""
    a = analyser.analyse(open_bgr, segment=False)
    b = analyser.analyse(shut_bgr, segment=False)
    if a.mesh is None or b.mesh is None:
        return None
    idx = list(_EYE_POINTS[side])
    dst, src = a.mesh.points[idx, :2].astype(np.float32), b.mesh.points[idx, :2].astype(np.float32)
    m, _ = cv2.estimateAffinePartial2D(src, dst)
    if m is None:
        return None
    h, w = open_bgr.shape[:2]
    moved = cv2.warpAffine(shut_bgr, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    centre = dst.mean(axis=0)
    eye_w = float(np.linalg.norm(dst[0] - dst[8]))
    oval: np.ndarray = np.zeros((h, w), np.float32)
    cv2.ellipse(oval, (int(round(centre[0])), int(round(centre[1]))), (int(0.8 * eye_w), int(0.55 * eye_w)),
                0.0, 0.0, 360.0, 1.0, -1)  # fmt: skip
    oval = cv2.GaussianBlur(oval, (0, 0), max(1.0, 0.15 * eye_w))
    inside = oval > 0.5
    if not inside.any():
        return None
    gain = float(open_bgr[inside].mean()) / max(1.0, float(moved[inside].mean()))
    moved = np.clip(moved.astype(np.float32) * gain, 0, 255)
    out = open_bgr.astype(np.float32) * (1 - oval[..., None]) + moved * oval[..., None]
    return out.astype(np.uint8)
