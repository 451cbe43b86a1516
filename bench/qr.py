"""Benchmark of QR reading on camera-like phone-screen frames: which library, and which pipeline, to use.

Frames are drawn from a seed: a phone showing an XC1-shaped text (random bytes, like the ciphertext),
placed, tilted and spoiled the way a booth camera sees it. "Ordinary" frames have the mild variation of
a student holding a phone up; "hard" frames add one or two of: strong perspective, any rotation, blur,
glare, moiré, a dim screen, heavy JPEG, a small code. "None" frames show a phone with no code, to
measure what scanning costs while the booth is idle. Run: ``.venv/bin/python bench/qr.py [--seed N] [--n N]``.
"""

from __future__ import annotations

import argparse
import base64
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiosk.vision.phone_screen import SCREEN_BGR, render_phone  # noqa: E402
from kiosk.vision.qr import QrReader  # noqa: E402

SIZE = (1280, 720)
HARD_FACTORS = ("perspective", "rotation", "blur", "motion", "glare", "moire", "dim", "jpeg", "small")


@dataclass(frozen=True)
class Sample:
    frame: np.ndarray
    text: str | None  # None: no code in the frame
    category: str  # "ordinary", "hard" or "none"
    factors: tuple[str, ...] = ()


# -- frame synthesis ---------------------------------------------------------------------------------


def xc1_like_text(rng: np.random.Generator) -> str:
    """Text shaped like a real code: prefix, key id, base64url of nonce + ciphertext + tag."""
    n = int(rng.integers(150, 230))
    blob = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
    return "XC1:k2024:" + base64.urlsafe_b64encode(blob).rstrip(b"=").decode("ascii")


def homography(size: tuple[int, int], rng: np.random.Generator, angle: float, persp: float, shift: float) -> np.ndarray:
    """Rotate about the centre, jitter the corners (perspective) and shift, as a hand-held phone moves."""
    w, h = size
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    c = np.float32([w / 2, h / 2])
    a = math.radians(angle)
    rot = np.float32([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    dst = (src - c) @ rot.T + c
    dst += rng.uniform(-persp, persp, (4, 2)).astype(np.float32) * np.float32([w, h]) * 0.5
    dst += rng.uniform(-shift, shift, 2).astype(np.float32) * np.float32([w, h])
    return cv2.getPerspectiveTransform(src, dst.astype(np.float32))


def warp(img: np.ndarray, m: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    return cv2.warpPerspective(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def screen_mask(scale: float) -> np.ndarray:
    """Where the phone's screen is (1.0) in the unwarped frame, from a blank-screen rendering."""
    blank = render_phone("", SIZE, scale=scale)
    mask = (np.abs(blank.astype(np.int16) - SCREEN_BGR).sum(axis=-1) < 12).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((25, 25), np.uint8))
    return mask.astype(np.float32)


def gaussian_blur(frame: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(frame, (0, 0), sigma) if sigma > 0.05 else frame


def motion_blur(frame: np.ndarray, length: int, angle: float) -> np.ndarray:
    k = np.zeros((length, length), np.float32)
    k[length // 2, :] = 1.0
    m = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), angle, 1.0)
    k = cv2.warpAffine(k, m, (length, length))
    return cv2.filter2D(frame, -1, k / max(k.sum(), 1e-6))


def glare(frame: np.ndarray, rng: np.random.Generator, strength: float) -> np.ndarray:
    """A specular highlight from a ceiling light: a soft bright blob over part of the screen."""
    h, w = frame.shape[:2]
    cx = w / 2 + rng.uniform(-0.12, 0.12) * w
    cy = h / 2 + rng.uniform(-0.2, 0.2) * h
    sx, sy = rng.uniform(0.05, 0.1) * w, rng.uniform(0.08, 0.18) * h
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    blob = np.exp(-(((xs - cx) / sx) ** 2 + ((ys - cy) / sy) ** 2) / 2) * strength
    out = frame.astype(np.float32)
    out += (255 - out) * blob[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)


def moire(frame: np.ndarray, mask: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    """Interference between the screen's pixel grid and the sensor's: slanted bands of light and dark."""
    h, w = frame.shape[:2]
    period = rng.uniform(2.5, 7.0)
    theta = rng.uniform(0, math.pi)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    phase = (xs * math.cos(theta) + ys * math.sin(theta)) * (2 * math.pi / period)
    beat = (xs * math.sin(theta) - ys * math.cos(theta)) * (2 * math.pi / rng.uniform(40, 120))
    pattern = 1 - amount * mask * (0.5 + 0.5 * np.sin(phase + 2 * np.sin(beat)))
    out = frame.astype(np.float32) * pattern[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)


def dim(frame: np.ndarray, mask: np.ndarray, gain: float, lift: float) -> np.ndarray:
    """A screen turned down in a lit room: the screen dark and flat, the room as bright as before."""
    out = frame.astype(np.float32)
    dimmed = out * gain + lift
    m = mask[..., None]
    return np.clip(dimmed * m + out * (1 - m), 0, 255).astype(np.uint8)


def noise(frame: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    out = frame + rng.standard_normal(frame.shape, dtype=np.float32) * np.float32(sigma)
    return np.clip(out, 0, 255).astype(np.uint8)


def jpeg(frame: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else frame


def make_sample(rng: np.random.Generator, category: str) -> Sample:
    """One labelled frame of ``category``; every random choice comes from ``rng``."""
    text: str | None = xc1_like_text(rng)
    factors: tuple[str, ...] = ()
    if category == "hard":
        factors = tuple(sorted(rng.choice(HARD_FACTORS, size=int(rng.integers(1, 3)), replace=False).tolist()))
        if "blur" in factors and "motion" in factors:  # one kind of blur at a time
            factors = tuple(f for f in factors if f != "motion")
    if category == "none":
        text = None
    f = set(factors)
    scale = rng.uniform(0.42, 0.52) if "small" in f else rng.uniform(0.75, 1.05)
    angle = rng.uniform(-180, 180) if "rotation" in f else rng.uniform(-12, 12)
    persp = rng.uniform(0.16, 0.24) if "perspective" in f else rng.uniform(0.0, 0.05)
    m = homography(SIZE, rng, angle, persp, 0.06 * scale)
    frame = warp(render_phone(text or "", SIZE, scale=scale), m)
    if f & {"moire", "dim"}:
        mask = warp(screen_mask(scale), m)
        if "moire" in f:
            frame = moire(frame, mask, rng, rng.uniform(0.25, 0.45))
        if "dim" in f:
            frame = dim(frame, mask, rng.uniform(0.18, 0.3), rng.uniform(10, 30))
    if "glare" in f:
        frame = glare(frame, rng, rng.uniform(0.6, 0.9))
    if "blur" in f:
        frame = gaussian_blur(frame, rng.uniform(1.4, 2.2))
    elif "motion" in f:
        frame = motion_blur(frame, int(rng.integers(5, 10)), rng.uniform(0, 180))
    else:
        frame = gaussian_blur(frame, rng.uniform(0.0, 0.9))
    frame = noise(frame, rng, rng.uniform(4, 8) if "dim" in f else rng.uniform(1, 3))
    quality = int(rng.integers(12, 28)) if "jpeg" in f else int(rng.integers(70, 92))
    return Sample(jpeg(frame, quality), text, category, factors)


def make_samples(seed: int, n: int) -> list[Sample]:
    """``n`` ordinary and ``n`` hard frames, plus ``n // 5`` frames with no code."""
    rng = np.random.default_rng(seed)
    cats = ["ordinary"] * n + ["hard"] * n + ["none"] * max(n // 5, 1)
    return [make_sample(rng, c) for c in cats]


# -- readers -----------------------------------------------------------------------------------------


def zxing_reader(frame: np.ndarray) -> list[str]:
    import zxingcpp

    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    return [b.text for b in zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.QRCode)]


def pyzbar_reader(frame: np.ndarray) -> list[str]:
    from pyzbar import pyzbar

    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    found = pyzbar.decode(gray, symbols=[pyzbar.ZBarSymbol.QRCODE])
    return [r.data.decode("utf-8", "replace") for r in found]


def opencv_reader(detector: cv2.QRCodeDetector | cv2.QRCodeDetectorAruco) -> Callable[[np.ndarray], list[str]]:
    """OpenCV's single-code call: its multi-code call reads far fewer of these frames (0 of 50 ordinary
    ones with the classic detector in a trial), and the booth only needs one code."""

    def read(frame: np.ndarray) -> list[str]:
        text = detector.detectAndDecode(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))[0]
        return [text] if text else []

    return read


def readers() -> dict[str, Callable[[np.ndarray], list[str]]]:
    return {
        "zxing-cpp": zxing_reader,
        "pyzbar": pyzbar_reader,
        "opencv QRCodeDetector": opencv_reader(cv2.QRCodeDetector()),
        "opencv QRCodeDetectorAruco": opencv_reader(cv2.QRCodeDetectorAruco()),
        "chosen: QrReader (zxing-cpp + region retry)": QrReader().read,
    }


# -- measuring ---------------------------------------------------------------------------------------


@dataclass
class Tally:
    hits: int = 0
    total: int = 0
    wrong: int = 0  # a text that is not the one shown (or any text on a frame with no code)
    ms: list[float] | None = None

    def add(self, ok: bool, wrong: bool, ms: float) -> None:
        self.hits += ok
        self.total += 1
        self.wrong += wrong
        if self.ms is None:
            self.ms = []
        self.ms.append(ms)

    def rate(self) -> float:
        return self.hits / self.total if self.total else float("nan")

    def median(self) -> float:
        return statistics.median(self.ms or [float("nan")])

    def p95(self) -> float:
        ms = sorted(self.ms or [float("nan")])
        return ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]


def measure(named: dict[str, Callable[[np.ndarray], list[str]]], samples: list[Sample]) -> dict[str, dict[str, Tally]]:
    """Every reader on every frame, taking turns frame by frame so that load from other processes
    on a shared machine falls on all readers alike."""
    results: dict[str, dict[str, Tally]] = {name: {} for name in named}
    for read in named.values():
        read(samples[0].frame)  # warm up (lazy imports, first allocations)
    for s in samples:
        for name, read in named.items():
            t0 = time.perf_counter()
            texts = read(s.frame)
            ms = (time.perf_counter() - t0) * 1000
            ok = s.text in texts if s.text else not texts
            wrong = any(t != s.text for t in texts)
            for key in (s.category, *(f"hard:{f}" for f in s.factors)):
                results[name].setdefault(key, Tally()).add(ok, wrong, ms)
    return results


def table(results: dict[str, dict[str, Tally]]) -> str:
    head = (
        "| reader | ordinary read rate | median ms | p95 ms | hard read rate | median ms | p95 ms "
        "| no-code frames: median ms | wrong texts |"
    )
    lines = [head, "|" + " --- |" * 9]
    for name, t in results.items():
        o, h, n = t["ordinary"], t["hard"], t["none"]
        wrong = o.wrong + h.wrong + n.wrong
        lines.append(
            f"| {name} | {o.rate():.3f} | {o.median():.1f} | {o.p95():.1f} | {h.rate():.3f} | {h.median():.1f} "
            f"| {h.p95():.1f} | {n.median():.1f} | {wrong} |"
        )
    return "\n".join(lines)


def factor_table(results: dict[str, dict[str, Tally]]) -> str:
    names = list(results)
    lines = ["| hard factor | frames | " + " | ".join(names) + " |", "|" + " --- |" * (len(names) + 2)]
    for f in HARD_FACTORS:
        key = f"hard:{f}"
        first = results[names[0]].get(key)
        if first is None:
            continue
        rates = " | ".join(f"{results[n][key].rate():.2f}" for n in names)
        lines.append(f"| {f} | {first.total} | {rates} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2024, help="seed of the frame set (default 2024)")
    parser.add_argument("--n", type=int, default=100, help="ordinary frames and hard frames each (default 100)")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")
    t0 = time.perf_counter()
    samples = make_samples(args.seed, args.n)
    print(
        f"{len(samples)} frames of {SIZE[0]}x{SIZE[1]} (seed {args.seed}: {args.n} ordinary, {args.n} hard, "
        f"{max(args.n // 5, 1)} without a code) made in {time.perf_counter() - t0:.0f} s; "
        f"{os.cpu_count()} CPUs; zxing-cpp {version('zxing-cpp')}, pyzbar {version('pyzbar')}, "
        f"OpenCV {cv2.__version__}\n"
    )
    results = measure(readers(), samples)
    print(table(results))
    print()
    print("Read rate on hard frames by factor (a frame has one or two factors):\n")
    print(factor_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
