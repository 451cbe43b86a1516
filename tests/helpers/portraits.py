"""Synthetic portraits with a known head, for the output tests and the bench.

A blue backdrop, dark shoulders, hair, a skin-coloured face ellipse of a known width and two black
pupils on a known eye line, plus camera-like noise so JPEG sizes are realistic
(tests/test_output_portraits.py checks the head is where the returned measurements say).
"""

from __future__ import annotations

import cv2
import numpy as np

from kiosk.output import HeadMeasure

BACKDROP = (255, 197, 100)  # BGR of the spec's light blue RGB(100, 197, 255)
SKIN = (140, 170, 225)
HAIR = (30, 30, 40)
TOP = (60, 60, 70)
PUPIL = (0, 0, 0)


def synthetic_portrait(
    width: int = 4056,
    height: int = 3040,
    eye_x: float | None = None,
    eye_y: float | None = None,
    face_width: float | None = None,
    noise: float = 5.0,
    seed: int = 1,
) -> tuple[np.ndarray, HeadMeasure]:
    """A BGR still and the head measurements it was drawn with (crown = top of the hair)."""
    fw = face_width if face_width is not None else width * 0.12
    mx = eye_x if eye_x is not None else width / 2
    e = eye_y if eye_y is not None else height * 0.42
    crown = e - 0.9 * fw
    chin = e + 0.75 * fw
    img = np.empty((height, width, 3), np.uint8)
    img[:] = BACKDROP
    # shoulders and top
    cv2.ellipse(img, (int(mx), int(chin + 1.6 * fw)), (int(1.5 * fw), int(1.4 * fw)), 0, 0, 360, TOP, -1)
    cv2.rectangle(
        img, (int(mx - 0.25 * fw), int(chin - 0.2 * fw)), (int(mx + 0.25 * fw), int(chin + 0.4 * fw)), SKIN, -1
    )
    # hair: a wider ellipse whose top is the crown
    hair_ry = (e - crown) * 1.05
    cv2.ellipse(img, (int(mx), int(crown + hair_ry)), (int(0.62 * fw), int(hair_ry)), 0, 0, 360, HAIR, -1)
    # face: width fw at the cheek line (slightly below the eyes), from forehead to chin
    top = e - 0.55 * fw
    cy, ry = (top + chin) / 2, (chin - top) / 2
    # the ellipse is widest at cy; put cy near the cheek line so the measured width is fw
    cv2.ellipse(img, (int(mx), int(cy)), (int(round(fw / 2)), int(ry)), 0, 0, 360, SKIN, -1)
    r = max(2, int(fw * 0.04))
    for dx in (-0.21 * fw, 0.21 * fw):
        cv2.circle(img, (int(round(mx + dx)), int(round(e))), r, PUPIL, -1)
    if noise > 0:
        rng = np.random.default_rng(seed)
        grain = rng.normal(0.0, noise, (height, width, 1)).astype(np.float32)
        img = np.clip(img.astype(np.float32) + grain, 0, 255).astype(np.uint8)
    return img, HeadMeasure(crown_y=crown, eye_x=mx, eye_y=e, face_width=fw, chin_y=chin)
