"""What the review screen shows about a shot: which part of the still it pictures, where each problem
is on that picture, and whether a retake at the booth can fix it.

A failed shot is shown around the face (a 3:4 window that holds every region a failed check looked at),
with a numbered box per reason, an arrow for a turned or tilted head, and, when the head's size or
place is the problem, the framing guide of the live view over the same part of the frame. A passing
shot is shown as the photo that will be saved. Some reasons cannot be fixed by posing again (a blue top
on a blue backdrop, a colour fault of the camera): the booth says so, sends the student to staff and
stops offering a retake that would fail the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kiosk.vision.messages import MESSAGES
from kiosk.vision.report import CheckResult, Report

# (check id, reason) the student cannot fix at the booth: clothes cannot be changed there, and the
# backdrop, the camera's colour and its resolution are the booth's own.
STAFF_ONLY: frozenset[tuple[str, str]] = frozenset(
    {
        ("clothing_not_blue", "blue"),
        ("clothing_not_blue", "light"),
        ("background", "colour"),
        ("natural_colour", "cast"),
        ("head_geometry", "source_too_small"),
    }
)
# Glasses under a profile that forbids them: taking them off fixes it, so the first time the student is
# told to take them off and retake (and that staff can help); when the same reason comes back on the
# retake (they cannot take them off, or the check mistakes something for glasses), posing again will
# not help and it is sent to staff like the reasons above.
GLASSES_FORBIDDEN = ("glasses", "remove")
MAX_REASONS = 3

Window = tuple[float, float, float, float]  # x, y, w, h in source pixels


def reason_of(result: CheckResult) -> str | None:
    """The reason key behind a failed result's message (the message is the spec's text for it)."""
    for reason, message in MESSAGES.get(result.id, {}).items():
        if message == result.message:
            return reason
    return None


def failure_keys(report: Report) -> tuple[tuple[str, str], ...]:
    """(check id, reason) of each failure, to compare one attempt with the next."""
    return tuple((f.id, reason_of(f) or "") for f in report.failures())


def needs_staff(result: CheckResult, before: tuple[tuple[str, str], ...] = ()) -> bool:
    """A reason posing again cannot fix; ``before`` are the previous attempt's failures."""
    key = (result.id, reason_of(result) or "")
    return key in STAFF_ONLY or (key == GLASSES_FORBIDDEN and key in before)


def staff_only(report: Report, before: tuple[tuple[str, str], ...] = ()) -> bool:
    """True when a failure cannot be fixed by posing again, so a retake would fail the same way."""
    return any(needs_staff(f, before) for f in report.failures())


def staff_advised(report: Report) -> bool:
    """Reasons after which staff are worth asking, though a retake may still fix them."""
    return any((f.id, reason_of(f)) == GLASSES_FORBIDDEN for f in report.failures())


def _fit_3_4(x0: float, y0: float, x1: float, y1: float, size: tuple[int, int]) -> Window:
    """The smallest 3:4 window around the box, moved (and if need be shrunk) to lie inside the image."""
    w_img, h_img = size
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w, h = x1 - x0, y1 - y0
    if w / max(h, 1e-6) > 0.75:
        h = w / 0.75
    else:
        w = h * 0.75
    scale = min(1.0, w_img / w, h_img / h)
    w, h = w * scale, h * scale
    x = min(max(0.0, cx - w / 2), w_img - w)
    y = min(max(0.0, cy - h / 2), h_img - h)
    return (x, y, w, h)


def window(report: Report, size: tuple[int, int]) -> Window:
    """The part of a failed still the review picture shows."""
    w_img, h_img = size
    failures = report.failures()[:MAX_REASONS]
    if any(f.id == "head_geometry" for f in failures) or report.geometry is None:
        # The head's size or place is the problem: show what the live view's guide covered (the
        # middle 3:4 of the frame, full height) so the head can be set against the same guide.
        return _fit_3_4(w_img / 2 - 1, 0, w_img / 2 + 1, h_img, size)
    fx, fy, fw, fh = report.geometry.box
    # Head and shoulders: the face box widened to about the photo's own framing.
    x0, x1 = fx - 0.8 * fw, fx + 1.8 * fw
    y0, y1 = fy - 0.7 * fh, fy + 1.9 * fh
    for f in failures:
        if f.region is not None:
            rx, ry, rw, rh = f.region
            x0, y0, x1, y1 = min(x0, rx), min(y0, ry), max(x1, rx + rw), max(y1, ry + rh)
    return _fit_3_4(x0, y0, x1, y1, size)


def picture(still: np.ndarray, report: Report, height: int = 640) -> tuple[bytes, Window]:
    """The review JPEG of a failed still (held in memory only) and the window it shows."""
    import cv2

    h_img, w_img = still.shape[:2]
    x, y, w, h = window(report, (w_img, h_img))
    x0, y0 = int(round(x)), int(round(y))
    x1, y1 = min(w_img, int(round(x + w))), min(h_img, int(round(y + h)))
    part = still[y0:y1, x0:x1]
    if part.shape[0] > height:
        size = (max(1, round(part.shape[1] * height / part.shape[0])), height)
        part = cv2.resize(part, size, interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", part, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes(), (float(x0), float(y0), float(x1 - x0), float(y1 - y0))


def _arrow(result: CheckResult) -> str | None:
    """Which way to move the head back for a head_pose failure (in the picture's own directions)."""
    reason, value = reason_of(result), result.value if isinstance(result.value, dict) else {}
    angle = value.get(reason or "")
    if angle is None or not angle:
        return None
    if reason == "yaw":  # face turned towards the picture's right: turn back to the left
        return "left" if angle > 0 else "right"
    if reason == "pitch":  # chin up: lower it
        return "down" if angle > 0 else "up"
    if reason == "roll":  # eye line falling to the right (clockwise): turn back anticlockwise
        return "anticlockwise" if angle > 0 else "clockwise"
    return None


def marks(report: Report, view: Window | None) -> list[dict[str, Any]]:
    """What to draw over the review picture, numbered like the reasons, in fractions of the picture."""
    if view is None or report.passed:
        return []
    vx, vy, vw, vh = view
    out: list[dict[str, Any]] = []
    for n, f in enumerate(report.failures()[:MAX_REASONS], start=1):
        if f.id == "head_geometry":
            out.append({"n": n, "kind": "guide"})
            continue
        if f.region is None:
            continue
        rx, ry, rw, rh = f.region
        x0, y0 = max(0.0, (rx - vx) / vw), max(0.0, (ry - vy) / vh)
        x1, y1 = min(1.0, (rx + rw - vx) / vw), min(1.0, (ry + rh - vy) / vh)
        if x1 - x0 <= 0.01 or y1 - y0 <= 0.01:
            continue
        box = [round(v, 4) for v in (x0, y0, x1 - x0, y1 - y0)]
        arrow = _arrow(f) if f.id == "head_pose" else None
        out.append({"n": n, "kind": "arrow" if arrow else "box", "box": box, **({"dir": arrow} if arrow else {})})
    return out
