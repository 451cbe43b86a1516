"""Camera-like frames of a phone held at arm's length showing a capture code, for the QR benchmark.

This generator is deliberately independent of the reader it measures: it shares no code with
``kiosk/vision`` (its phone, screen and optics are its own), and the reader is tuned on other seeds
than the ones the reported table uses (see docs/qr-bench.md).

What it models, in the order light travels:

- the phone's screen as a grid of real pixels, each three coloured sub-pixel stripes (a 720x1560
  screen), showing the capture-code page: a title and the QR, about 78 % of the screen's width;
- things on the glass: a thumb over one corner of the code, a crack, a reflection of a bright window;
- the phone's pose: its distance sets the module size (2-3.5 preview pixels for a version 10-12 code),
  tilted in 3-D (up to 15 degrees when ordinary, 30-60 when tilted) and turned in the plane;
- the lens (focus blur, hand shake) and the sensor: a 2560x1440 Bayer mosaic integrating the screen's
  sub-pixels (which aliases into moiré), rolling-shutter banding from the screen's PWM dimming,
  shot and read noise, demosaicing;
- the preview stream, the sensor image scaled down to 1280x720 as the camera's ISP does, and the
  "detail" stream a camera can deliver at the same time, scaled to 1920x1080 (the booth's default).
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass

import cv2
import numpy as np
import segno

PREVIEW = (1280, 720)
SENSOR = (2560, 1440)  # the sensor image everything is rendered at
DETAIL = (1920, 1080)  # the detail stream, as the booth's default camera.detail_size
FOCAL_PX = 1830.0  # sensor pixels; about a 70 degree horizontal field of view
SCREEN = (720, 1560)  # phone screen, pixels
BEZEL = 28  # screen pixels of phone body around the screen
GAIN = 64  # texture units per camera count (texture is uint16)
QR_SHARE = 0.78  # code width, quiet zone included, as a share of the screen's width

HARD_CONDITIONS = ("dense", "moire", "banding", "thumb", "crack", "reflection", "tilt", "dim", "shake")
NEGATIVE_KINDS = ("empty", "blank", "other", "damaged")
# Beyond what any reader here reads: frames for checking what the booth advises the student.
ADVICE_CONDITIONS = {"far": "closer", "dark": "brighter", "blurred": "steadier"}


@dataclass(frozen=True)
class Sample:
    """One labelled frame. ``text`` is what a reader should return (None: nothing)."""

    frame: np.ndarray  # BGR preview, PREVIEW size
    detail: np.ndarray  # BGR detail stream of the same instant, DETAIL size
    text: str | None
    category: str  # "ordinary", "hard", "advice" or one of NEGATIVE_KINDS
    condition: str  # the hard or advice condition, else the category
    module_px: float  # preview pixels per module at the code's centre (0 when there is no code)
    corners: np.ndarray | None = None  # the code's corners in the preview (4x2), when a code is shown


def xc1_like_text(rng: np.random.Generator) -> str:
    """Text shaped like a real code: prefix, key id, base64url of nonce + ciphertext + tag."""
    n = int(rng.integers(150, 230))
    blob = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
    return "XC1:k2024:" + base64.urlsafe_b64encode(blob).rstrip(b"=").decode("ascii")


def other_text(rng: np.random.Generator) -> str:
    """A code that is not a capture code: a web address, as a phone often shows."""
    tail = base64.urlsafe_b64encode(rng.integers(0, 256, 12, dtype=np.uint8).tobytes()).decode("ascii")
    return f"https://example.edu.cn/notice?id={tail.rstrip('=')}"


def qr_matrix(text: str) -> np.ndarray:
    """Dark modules (True) of ``text``'s QR code at error level M, with a 4-module quiet zone."""
    return np.pad(np.array(segno.make(text, error="m", micro=False).matrix, dtype=bool), 4)


def damage(modules: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Flip a quarter of the data area's modules: far beyond what level M corrects (15 %)."""
    out = modules.copy()
    n = out.shape[0]
    inner = np.zeros_like(out)
    inner[4 + 9 : n - 4 - 9, 4:-4] = True  # between the finder patterns' rows: data modules only
    flips = inner & (rng.random(out.shape) < 0.25)
    out[flips] = ~out[flips]
    return out


# -- the screen --------------------------------------------------------------------------------------


def screen_page(modules: np.ndarray | None, rng: np.random.Generator, title: bool = True) -> np.ndarray:
    """The phone's screen content (gray, screen pixels): the capture-code page, or a list of text."""
    w, h = SCREEN
    page = np.full((h, w), 246, np.uint8)
    if modules is None:  # some other app: lines of text
        for i in range(18):
            y = 140 + i * 70
            x1 = int(rng.integers(300, 660))
            cv2.rectangle(page, (60, y), (x1, y + 22), 70, -1)
        return page
    side = int(QR_SHARE * w)
    code = cv2.resize(np.where(modules, 20, 246).astype(np.uint8), (side, side), interpolation=cv2.INTER_NEAREST)
    x0, y0 = (w - side) // 2, (h - side) // 2
    page[y0 : y0 + side, x0 : x0 + side] = code
    if title:
        cv2.putText(page, "Capture code", (150, y0 - 120), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 30, 4, cv2.LINE_AA)
        cv2.putText(page, "XC1  k2024", (230, y0 + side + 110), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 90, 3, cv2.LINE_AA)
    return page


def phone_texture(page: np.ndarray, brightness: float, pitch: int = 1) -> np.ndarray:
    """The phone face as uint16 radiance texels: 3 texels (R, G, B stripes) per screen pixel across.

    Each stripe carries three times its colour's share, so an area average gives the screen's colour;
    the camera only sees the stripes where it samples too coarsely (moiré). ``pitch`` > 1 draws a
    coarser pixel grid (each stripe ``pitch`` texels wide, a dark row between pixel rows), the size
    at which a screen's grid beats with the sensor's into strong moiré.
    """
    h, w = page.shape
    tw, th = 3 * (w + 2 * BEZEL), h + 2 * BEZEL
    tex = np.full((th, tw, 3), 14 * GAIN, np.uint16)  # the phone's dark body
    level = np.repeat(page, 3, axis=1).astype(np.float32) * brightness * 3 * GAIN
    if pitch > 1:
        level[np.arange(h) % pitch == 0] *= 0.35
    stripe = (np.arange(3 * w) // pitch) % 3
    scr = tex[BEZEL : BEZEL + h, 3 * BEZEL : 3 * BEZEL + 3 * w]
    scr[:] = 0
    for index, channel in ((0, 2), (1, 1), (2, 0)):  # R, G, B stripes; channels in BGR order
        cols = stripe == index
        scr[:, cols, channel] = level[:, cols].astype(np.uint16)
    return tex


def code_quad(modules: np.ndarray) -> np.ndarray:
    """Corners of the code (quiet zone excluded) in texture coordinates."""
    w, h = SCREEN
    side = int(QR_SHARE * w)
    n = modules.shape[0]
    inner = side * (n - 8) / n
    x0 = BEZEL + (w - side) / 2 + side * 4 / n
    y0 = BEZEL + (h - side) / 2 + side * 4 / n
    pts = np.float32([[x0, y0], [x0 + inner, y0], [x0 + inner, y0 + inner], [x0, y0 + inner]])
    pts[:, 0] *= 3
    return pts


def draw_thumb(tex: np.ndarray, quad: np.ndarray, rng: np.random.Generator) -> None:
    """A thumb over one corner of the code, reaching 12-22 % of the code's side in."""
    corner = int(rng.integers(0, 4))
    c = quad[corner] / np.float32([3, 1])
    centre = quad.mean(axis=0) / np.float32([3, 1])
    side = float(np.linalg.norm(quad[1] / np.float32([3, 1]) - quad[0] / np.float32([3, 1])))
    reach = rng.uniform(0.12, 0.22) * side
    direction = (centre - c) / np.linalg.norm(centre - c)
    tip = c + direction * reach * math.sqrt(2)
    # A thumb is a long ellipse coming in from outside the code, its tip at ``tip``.
    length, width = side * 0.9, side * rng.uniform(0.22, 0.3)
    body_c = tip - direction * length / 2
    angle = math.degrees(math.atan2(direction[1], direction[0])) + rng.uniform(-15, 15)
    skin = np.array([120, 150, 205], np.float32) * rng.uniform(0.6, 1.0) * GAIN
    th, tw = tex.shape[:2]
    small = np.zeros((th, tw // 3), np.uint8)  # drawn in screen pixels, then stretched to texels
    cv2.ellipse(small, ((float(body_c[0]), float(body_c[1])), (float(length), float(width)), angle), 255, -1)
    mask = cv2.resize(small, (tw, th), interpolation=cv2.INTER_NEAREST)
    tex[mask > 0] = skin.astype(np.uint16)


def draw_crack(tex: np.ndarray, rng: np.random.Generator) -> None:
    """One or two cracks across the glass: thin bright lines with a dark edge, crossing the code."""
    h, w = tex.shape[:2]
    for _ in range(int(rng.integers(1, 3))):
        y = rng.uniform(0.35, 0.65) * h
        x = 0.0
        slope = rng.uniform(-0.6, 0.6)
        pts = []
        while x < w:
            pts.append((x, y))
            x += rng.uniform(60, 200)
            y += slope * rng.uniform(20, 70) + rng.normal(0, 18)
        poly = np.array(pts, np.int32).reshape(-1, 1, 2)
        cv2.polylines(tex, [poly], False, (20 * GAIN,) * 3, int(rng.integers(10, 18)), cv2.LINE_AA)
        cv2.polylines(tex, [poly], False, (230 * GAIN,) * 3, int(rng.integers(4, 8)), cv2.LINE_AA)


def add_reflection(tex: np.ndarray, rng: np.random.Generator) -> None:
    """A window reflected in the glass: a soft bright slanted band that washes the code out."""
    h, w = tex.shape[:2]
    ys, xs = np.mgrid[0:h:4, 0:w:4].astype(np.float32)
    theta = rng.uniform(0, math.pi)
    d = (xs / 3) * math.cos(theta) + ys * math.sin(theta)
    centre = rng.uniform(0.3, 0.7) * (w / 3 * abs(math.cos(theta)) + h * abs(math.sin(theta)))
    width = rng.uniform(0.15, 0.35) * h
    band = np.clip(1 - np.abs(d - centre) / width, 0, 1) ** 1.5 * rng.uniform(170, 260)
    band = cv2.resize(band, (w, h), interpolation=cv2.INTER_LINEAR)
    out = tex.astype(np.float32) + (band * GAIN)[..., None]
    tex[:] = np.clip(out, 0, 65535).astype(np.uint16)


# -- pose and camera ---------------------------------------------------------------------------------


def rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    y, p, r = (math.radians(a) for a in (yaw, pitch, roll))
    ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    return rz @ ry @ rx


def pose_homography(
    tex_shape: tuple[int, int],
    module_tex: float,
    module_px: float,
    angles: tuple[float, float, float],
    offset: tuple[float, float],
) -> np.ndarray:
    """Texture -> sensor homography for a phone whose modules appear ``module_px`` preview pixels wide.

    The phone's face is a plane at distance 1 (units of its own pixels, scaled), turned by ``angles``
    (yaw, pitch, roll in degrees) about its centre and shifted by ``offset`` (share of the frame).
    """
    th, tw = tex_shape
    # One screen pixel is 3 texels across and 1 down; its physical size s fixes the scale.
    s = module_px * 2 / (FOCAL_PX * module_tex)  # sensor px = preview px * 2
    r = rotation(*angles)
    t = np.array([offset[0] * SENSOR[0] / FOCAL_PX, offset[1] * SENSOR[1] / FOCAL_PX, 1.0])
    k = np.array([[FOCAL_PX, 0, SENSOR[0] / 2], [0, FOCAL_PX, SENSOR[1] / 2], [0, 0, 1]])
    to_plane = np.array([[s / 3, 0, -s * tw / 6], [0, s, -s * th / 2], [0, 0, 1]])
    plane_to_cam = np.column_stack([r[:, 0], r[:, 1], t])
    m = k @ plane_to_cam @ to_plane
    return m / m[2, 2]


def room(rng: np.random.Generator) -> np.ndarray:
    """A plausible hallway behind the student, float32 BGR at sensor size: walls, posters, a door."""
    w, h = SENSOR
    small = np.zeros((h // 8, w // 8, 3), np.float32)
    ys = np.linspace(0, 1, h // 8, dtype=np.float32)[:, None, None]
    base = np.array(rng.uniform(120, 190, 3), np.float32)
    small[:] = base * (1.0 - 0.35 * ys)
    img = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.uint8)
    for _ in range(int(rng.integers(4, 9))):
        x, y = int(rng.integers(0, w - 200)), int(rng.integers(0, h - 200))
        bw, bh = int(rng.integers(120, 600)), int(rng.integers(120, 700))
        colour = tuple(float(c) for c in rng.uniform(30, 230, 3))
        cv2.rectangle(img, (x, y), (x + bw, y + bh), colour, -1)
        if rng.random() < 0.6:  # a notice with lines of print
            for i in range(int(rng.integers(2, 8))):
                cv2.putText(
                    img,
                    "Notice 2026 photo",
                    (x + 10, y + 40 + 36 * i),
                    cv2.FONT_HERSHEY_SIMPLEX,
                    1.0,
                    (40, 40, 40),
                    2,
                    cv2.LINE_AA,
                )
    return img.astype(np.float32)


def render_phone_into(img: np.ndarray, tex: np.ndarray, m: np.ndarray, oversample: int) -> np.ndarray:
    """Warp the phone texture into ``img`` (float32 BGR, sensor size) through ``m``; return its mask.

    The phone's bounding box is rendered at ``oversample`` times the sensor's resolution and then
    averaged down, as a sensor pixel integrates the light over its area; a low ``oversample`` is a
    sharp lens without anti-aliasing, which lets the sub-pixel stripes alias into moiré.
    """
    th, tw = tex.shape[:2]
    corners = cv2.perspectiveTransform(np.float32([[[0, 0], [tw, 0], [tw, th], [0, th]]]), m)[0]
    x0, y0 = np.floor(corners.min(axis=0)).astype(int) - 2
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int) + 2
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, SENSOR[0]), min(y1, SENSOR[1])
    mask_full = np.zeros(SENSOR[::-1], np.float32)
    if x1 <= x0 or y1 <= y0:
        return mask_full
    bw, bh = x1 - x0, y1 - y0
    shift = np.array([[oversample, 0, -x0 * oversample], [0, oversample, -y0 * oversample], [0, 0, 1]])
    ml = shift @ m
    size = (bw * oversample, bh * oversample)
    local = cv2.warpPerspective(tex, ml, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    alpha = cv2.warpPerspective(np.full((th, tw), 255, np.uint8), ml, size, flags=cv2.INTER_LINEAR)
    local = cv2.resize(local, (bw, bh), interpolation=cv2.INTER_AREA).astype(np.float32) / GAIN
    a = cv2.resize(alpha, (bw, bh), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    region = img[y0:y1, x0:x1]
    region[:] = region * (1 - a[..., None]) + local * a[..., None]
    mask_full[y0:y1, x0:x1] = a
    return mask_full


def motion_kernel(length: float, angle: float) -> np.ndarray:
    n = max(3, int(math.ceil(length)) | 1)
    k = np.zeros((n, n), np.float32)
    k[n // 2, :] = 1
    rot = cv2.getRotationMatrix2D((n / 2 - 0.5, n / 2 - 0.5), angle, 1.0)
    k = cv2.warpAffine(k, rot, (n, n))
    return k / max(float(k.sum()), 1e-6)


def sensor(img: np.ndarray, rng: np.random.Generator, read_noise: float) -> np.ndarray:
    """Bayer mosaic (BGGR), shot and read noise, bilinear demosaic: the BGR image the ISP produces."""
    h, w = img.shape[:2]
    raw = np.empty((h, w), np.float32)
    raw[0::2, 0::2] = img[0::2, 0::2, 0]  # B
    raw[0::2, 1::2] = img[0::2, 1::2, 1]  # G
    raw[1::2, 0::2] = img[1::2, 0::2, 1]  # G
    raw[1::2, 1::2] = img[1::2, 1::2, 2]  # R
    raw = np.clip(raw, 0, 255)
    noise = rng.standard_normal((h, w), dtype=np.float32)
    raw += noise * np.sqrt(raw * 0.08 + read_noise**2)
    raw8 = np.clip(raw, 0, 255).astype(np.uint8)
    return cv2.cvtColor(raw8, cv2.COLOR_BayerRG2BGR)  # OpenCV names the pattern by its second row


# -- one sample --------------------------------------------------------------------------------------


def make_sample(rng: np.random.Generator, category: str, condition: str | None = None) -> Sample:
    """One frame of ``category`` ("ordinary", "hard" with ``condition``, or a negative kind)."""
    cond = condition or category
    img = room(rng)
    text: str | None = None
    module_px = 0.0
    corners: np.ndarray | None = None
    if category != "empty":
        modules: np.ndarray | None = None
        if category in ("ordinary", "hard", "damaged", "advice"):
            text = xc1_like_text(rng)
            modules = qr_matrix(text)
            if category == "damaged":
                modules = damage(modules, rng)
                text = None  # the true text cannot be read from it; any text is a misread
        elif category == "other":
            text = other_text(rng)
            modules = qr_matrix(text)
        page = screen_page(modules, rng)
        if cond in ("dim", "dark"):
            brightness = rng.uniform(0.06, 0.14) if cond == "dim" else rng.uniform(0.03, 0.05)
        else:
            brightness = rng.uniform(0.7, 1.0)
        tex = phone_texture(page, brightness, int(rng.integers(3, 5)) if cond == "moire" else 1)
        quad = code_quad(modules) if modules is not None else code_quad(qr_matrix("x" * 200))
        if cond == "thumb":
            draw_thumb(tex, quad, rng)
        if cond == "crack":
            draw_crack(tex, rng)
        if cond == "reflection":
            add_reflection(tex, rng)
        if cond == "dense":
            module_px = rng.uniform(1.7, 2.2)
        elif cond == "far":
            module_px = rng.uniform(1.1, 1.5)
        elif cond == "tilt":
            module_px = rng.uniform(2.6, 3.5)
        else:
            module_px = rng.uniform(2.4, 3.5)
        n = modules.shape[0] if modules is not None else 73
        module_tex = (quad[1, 0] - quad[0, 0]) / 3 / (n - 8)
        if cond == "tilt":
            big = rng.uniform(30, 60) * rng.choice([-1, 1])
            small = rng.uniform(-10, 10)
            yaw, pitch = (big, small) if rng.random() < 0.5 else (small, big)
        else:
            yaw, pitch = rng.uniform(-15, 15), rng.uniform(-15, 15)
        roll = rng.uniform(-20, 20)
        offset = (rng.uniform(-0.12, 0.12), rng.uniform(-0.08, 0.08))
        m = pose_homography(tex.shape[:2], module_tex, module_px, (yaw, pitch, roll), offset)
        oversample = 1 if cond == "moire" else 3
        mask = render_phone_into(img, tex, m, oversample)
        if modules is not None:
            corners = cv2.perspectiveTransform(quad[None], m)[0] * np.float32(PREVIEW[0] / SENSOR[0])
        if cond == "banding":
            period = rng.uniform(24, 90)  # sensor rows per PWM cycle
            depth = rng.uniform(0.35, 0.6)
            rows = np.arange(SENSOR[1], dtype=np.float32)[:, None]
            band = 1 - depth * (0.5 + 0.5 * np.sin(2 * math.pi * rows / period + rng.uniform(0, 6.3)))
            img *= (1 - mask + mask * band)[..., None]
    # Optics: a little focus blur always; hand shake when the condition asks for it.
    sigma = rng.uniform(0.4, 0.9) if cond == "moire" else rng.uniform(0.7, 1.3)
    img = cv2.GaussianBlur(img, (0, 0), sigma)
    if cond in ("shake", "blurred"):
        smear = rng.uniform(8, 13) if cond == "shake" else rng.uniform(18, 26)
        img = cv2.filter2D(img, -1, motion_kernel(smear, rng.uniform(0, 180)))
    read_noise = rng.uniform(2.5, 5.0) if cond in ("dim", "dark") else rng.uniform(1.0, 2.5)
    raw = sensor(img, rng, read_noise)
    frame = cv2.resize(raw, PREVIEW, interpolation=cv2.INTER_AREA)
    detail = cv2.resize(raw, DETAIL, interpolation=cv2.INTER_AREA)
    return Sample(frame, detail, text, category, cond, module_px, corners)


def make_samples(seed: int, n: int) -> list[Sample]:
    """``n`` ordinary frames, ``n`` hard frames (conditions in turn), ``n // 4`` of each negative kind,
    and ``n // 6`` of each advice condition."""
    rng = np.random.default_rng(seed)
    plan: list[tuple[str, str | None]] = [("ordinary", None)] * n
    plan += [("hard", HARD_CONDITIONS[i % len(HARD_CONDITIONS)]) for i in range(n)]
    plan += [(kind, None) for kind in NEGATIVE_KINDS for _ in range(max(n // 4, 1))]
    plan += [("advice", cond) for cond in ADVICE_CONDITIONS for _ in range(max(n // 6, 1))]
    return [make_sample(rng, c, cond) for c, cond in plan]
