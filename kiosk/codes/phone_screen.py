"""A camera-like picture of a phone showing a capture code, drawn rather than photographed.

The demo puts it on the replay camera so the booth can be walked through end to end with a valid code,
the self-test's QR check reads one, and the QR tests distort it. (The QR benchmark draws its own frames,
in ``bench/qr_frames.py``, so the reader is never measured on the picture it was developed with.)
"""

from __future__ import annotations

import cv2
import numpy as np
import segno

BODY_BGR = (34, 32, 30)
SCREEN_BGR = (246, 246, 246)
INK_BGR = (24, 24, 24)
QR_ERROR = "m"


def qr_modules(text: str) -> np.ndarray:
    """The QR symbol for ``text`` as a boolean matrix (True = dark), without quiet zone."""
    return np.array(segno.make(text, error=QR_ERROR, micro=False).matrix, dtype=bool)


def render_qr(text: str, side: int) -> np.ndarray:
    """``text`` as a gray QR image ``side`` pixels square, quiet zone included, smoothly resampled."""
    modules = np.pad(qr_modules(text), 4, constant_values=False)
    gray = np.where(modules, 0, 255).astype(np.uint8)
    nearest = cv2.resize(gray, None, fx=8, fy=8, interpolation=cv2.INTER_NEAREST)
    return cv2.resize(nearest, (side, side), interpolation=cv2.INTER_AREA)


def render_phone(text: str, size: tuple[int, int] = (1280, 720), *, scale: float = 1.0) -> np.ndarray:
    """A BGR frame of ``size`` (width, height): a phone held up to the camera, its screen showing ``text``.

    ``scale`` shrinks or grows the phone relative to the default, where it fills most of the height.
    An empty ``text`` leaves the screen blank, as before the student opens the code.
    """
    width, height = size
    frame = _background(width, height)
    phone_h = int(round(0.88 * height * scale))
    phone_w = int(round(phone_h * 0.49))
    cx, cy = width // 2, height // 2
    x0, y0 = cx - phone_w // 2, cy - phone_h // 2
    radius = max(4, phone_w // 9)
    _rounded_rect(frame, (x0, y0, phone_w, phone_h), radius, BODY_BGR)
    bezel = max(3, phone_w // 28)
    sx, sy, sw, sh = x0 + bezel, y0 + bezel * 3, phone_w - 2 * bezel, phone_h - 6 * bezel
    _rounded_rect(frame, (sx, sy, sw, sh), max(2, radius - bezel), SCREEN_BGR)
    _title(frame, sx, sy, sw, sh)
    if not text:
        return frame
    side = int(round(sw * 0.9))
    qr = cv2.cvtColor(render_qr(text, side), cv2.COLOR_GRAY2BGR)
    qx, qy = sx + (sw - side) // 2, sy + (sh - side) // 2
    _paste(frame, qr, qx, qy)
    return frame


def _background(width: int, height: int) -> np.ndarray:
    """A soft room-like gradient: darker below, warmer to one side, so nothing in it looks like a code."""
    ys = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    xs = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    base = 150 - 60 * ys + 20 * xs
    frame = np.stack([base * 0.92, base * 0.97, base * 1.05], axis=-1)
    return np.clip(frame, 0, 255).astype(np.uint8)


def _rounded_rect(img: np.ndarray, box: tuple[int, int, int, int], r: int, color: tuple[int, int, int]) -> None:
    x, y, w, h = box
    r = min(r, w // 2, h // 2)
    cv2.rectangle(img, (x + r, y), (x + w - r, y + h), color, -1, cv2.LINE_AA)
    cv2.rectangle(img, (x, y + r), (x + w, y + h - r), color, -1, cv2.LINE_AA)
    for cx, cy in ((x + r, y + r), (x + w - r, y + r), (x + r, y + h - r), (x + w - r, y + h - r)):
        cv2.circle(img, (cx, cy), r, color, -1, cv2.LINE_AA)


def _title(img: np.ndarray, sx: int, sy: int, sw: int, sh: int) -> None:
    """A small heading above the code, as the capture-code page has one."""
    font_scale = sw / 420
    thickness = max(1, int(round(sw / 220)))
    label = "Capture code"
    (tw, th), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, font_scale, thickness)
    org = (sx + (sw - tw) // 2, sy + int(sh * 0.14) + th // 2)
    cv2.putText(img, label, org, cv2.FONT_HERSHEY_SIMPLEX, font_scale, INK_BGR, thickness, cv2.LINE_AA)


def _paste(frame: np.ndarray, patch: np.ndarray, x: int, y: int) -> None:
    """Copy ``patch`` into ``frame`` at (x, y), clipped to the frame."""
    h, w = patch.shape[:2]
    fx0, fy0 = max(x, 0), max(y, 0)
    fx1, fy1 = min(x + w, frame.shape[1]), min(y + h, frame.shape[0])
    if fx0 < fx1 and fy0 < fy1:
        frame[fy0:fy1, fx0:fx1] = patch[fy0 - y : fy1 - y, fx0 - x : fx1 - x]
