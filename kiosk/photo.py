"""The registration photo made from an accepted still: a 3:4 crop around the face, 480x640 JPEG.

This is the simple placement (face centred, head about half the frame); the spec-exact solver of
photo-spec section 1.5 replaces ``_crop_box`` when the output-photo work lands, behind the same call.
"""

from __future__ import annotations

import cv2
import numpy as np

from kiosk.vision.report import Report

OUT_W, OUT_H = 480, 640


def registration_jpeg(still: np.ndarray, report: Report, quality: int = 90) -> bytes:
    x0, y0, w, h = _crop_box(still.shape[1], still.shape[0], report)
    crop = still[y0 : y0 + h, x0 : x0 + w]
    interp = cv2.INTER_AREA if w >= OUT_W else cv2.INTER_LANCZOS4
    out = cv2.resize(crop, (OUT_W, OUT_H), interpolation=interp)
    ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()


def _crop_box(width: int, height: int, report: Report) -> tuple[int, int, int, int]:
    """A 3:4 rectangle inside the image: centred on the face when there is one, else on the image."""
    geo = report.geometry
    if geo is not None:
        fx, fy, fw, fh = geo.box
        cw = fw / 0.45
        cx, cy = fx + fw / 2, fy + fh * 0.85
    else:
        cw = width
        cx, cy = width / 2, height / 2
    ch = cw * 4 / 3
    scale = min(1.0, width / cw, height / ch)
    cw, ch = cw * scale, ch * scale
    x0 = min(max(0.0, cx - cw / 2), width - cw)
    y0 = min(max(0.0, cy - ch / 2), height - ch)
    return int(round(x0)), int(round(y0)), max(1, int(cw)), max(1, int(ch))
