"""Reading the capture code's QR from live preview frames of a phone screen, fast.

Why this pipeline (numbers in docs/qr-bench.md): zxing-cpp reads a phone screen in about 2 ms, a tenth
of pyzbar's or OpenCV's time, and reads more frames than either overall, so it goes first, on the whole
frame. What it misses on a hard frame (blur, moiré, a small or dim code) is mostly a code too soft or
too small for its sampling grid, so the second stage finds where the code probably is (the densest
patch of edges running both ways, else where zxing half-found one), enlarges that region, sharpens it
and asks again.
The second stage only runs when the first found nothing, so an ordinary frame costs one pass.

``QrScanWorker`` runs the reader on its own thread and takes at most one frame at a time, so a slow
frame costs a dropped scan, never a stalled preview.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np
import zxingcpp

from kiosk.preview import FrameWorker

log = logging.getLogger(__name__)

Box = tuple[int, int, int, int]  # x, y, width, height in frame pixels


@dataclass(frozen=True)
class QrTuning:
    """The pipeline's knobs, with the values the benchmark chose."""

    roi_side_px: int = 600  # enlarge (or shrink) a candidate region to about this size
    roi_margin: float = 0.2  # extra room around a region, as a share of its size, for the quiet zone
    max_upscale: float = 4.0  # beyond this, enlarging only magnifies blur
    max_regions: int = 2  # candidate regions tried per frame
    locate_width_px: int = 320  # width of the thumbnail the region finder works on
    edge_share: float = 0.25  # a thumbnail pixel is "code-like" above this share of the strongest
    min_edge: float = 6.0  # below this edge strength the frame is treated as empty
    sharpen_sigma: float = 1.5  # unsharp-mask radius, in source pixels
    # Tried in turn on each region: most need the first; 0 (just enlarged) catches a code that one
    # sampling grid missed by bad luck; the last is for heavy blur.
    sharpen_amounts: tuple[float, ...] = (2.5, 0.0, 5.0)


class FrameReader(Protocol):
    def read(self, frame: np.ndarray) -> list[str]: ...


class QrReader:
    """Reads every QR code in a BGR or gray frame; returns their texts (empty when none)."""

    def __init__(self, tuning: QrTuning | None = None) -> None:
        self.tuning = tuning or QrTuning()

    def read(self, frame: np.ndarray) -> list[str]:
        gray = to_gray(frame)
        found = zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.QRCode, return_errors=True)
        texts = _valid_texts(found)
        if texts:
            return texts
        for box in self._regions(gray, found):
            texts = self._read_region(gray, box)
            if texts:
                return texts
        return []

    def _regions(self, gray: np.ndarray, found: list[zxingcpp.Barcode]) -> list[Box]:
        """Edge-dense patches first; zxing's failed finds (often just one finder pattern) fill in."""
        regions = find_code_regions(gray, self.tuning) + [_box_of(b.position) for b in found]
        return _distinct(regions)[: self.tuning.max_regions]

    def _read_region(self, gray: np.ndarray, box: Box) -> list[str]:
        """Enlarge the region round ``box`` and try it at each sharpening amount."""
        t = self.tuning
        src, scale = crop_region(gray, box, t.roi_margin, t.roi_side_px, t.max_upscale)
        if min(src.shape) < 8:
            return []
        view = resize(src, scale, cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA)
        # Blurring the small source and enlarging the result is the same low-pass as blurring the
        # enlarged view with a proportionally wider kernel, in about a quarter of the time.
        if scale > 1:
            blurred = cv2.resize(cv2.GaussianBlur(src, (0, 0), t.sharpen_sigma), view.shape[::-1])
        else:
            blurred = cv2.GaussianBlur(view, (0, 0), t.sharpen_sigma)
        for amount in t.sharpen_amounts:
            sharp = cv2.addWeighted(view, 1 + amount, blurred, -amount, 0) if amount else view
            texts = _valid_texts(
                zxingcpp.read_barcodes(sharp, formats=zxingcpp.BarcodeFormat.QRCode, try_downscale=False)
            )
            if texts:
                return texts
        return []


def to_gray(frame: np.ndarray) -> np.ndarray:
    """A contiguous 8-bit gray image from a gray, BGR or BGRA frame."""
    if frame.dtype != np.uint8:
        raise ValueError(f"expected an 8-bit frame, got {frame.dtype}")
    if frame.ndim == 2:
        return np.ascontiguousarray(frame)
    if frame.ndim == 3 and frame.shape[2] == 3:
        return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    if frame.ndim == 3 and frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY)
    if frame.ndim == 3 and frame.shape[2] == 1:
        return np.ascontiguousarray(frame[:, :, 0])
    raise ValueError(f"expected a gray or BGR frame, got shape {frame.shape}")


def find_code_regions(gray: np.ndarray, tuning: QrTuning) -> list[Box]:
    """Where a QR code probably is, best first: patches dense in edges that run both ways.

    Text and the phone's outline have edges mostly one way at a time; a QR's modules have both
    everywhere, so the smaller of the horizontal and vertical edge densities singles it out.
    """
    h, w = gray.shape
    down = max(1, w // tuning.locate_width_px)
    if min(h, w) // down < 16:
        return []
    small = cv2.resize(gray, (w // down, h // down), interpolation=cv2.INTER_AREA)
    gx = np.abs(cv2.Sobel(small, cv2.CV_32F, 1, 0, ksize=3))
    gy = np.abs(cv2.Sobel(small, cv2.CV_32F, 0, 1, ksize=3))
    density = np.minimum(cv2.blur(gx, (9, 9)), cv2.blur(gy, (9, 9)))
    peak = float(density.max())
    if peak < tuning.min_edge:
        return []
    mask = (density > peak * tuning.edge_share).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
    weight = np.bincount(labels.ravel(), weights=density.ravel(), minlength=count)
    order = sorted(range(1, count), key=lambda i: weight[i], reverse=True)
    boxes: list[Box] = []
    for i in order[: tuning.max_regions]:
        x, y, bw, bh, area = (int(v) for v in stats[i])
        if area >= 16:
            boxes.append((x * down, y * down, bw * down, bh * down))
    return boxes


def crop_region(
    gray: np.ndarray, box: Box, margin: float, side_px: int, max_upscale: float
) -> tuple[np.ndarray, float]:
    """The square region round ``box`` (plus ``margin``) and the scale that brings it to ``side_px``."""
    x, y, w, h = box
    side = max(w, h) * (1 + 2 * margin)
    cx, cy = x + w / 2, y + h / 2
    x0, y0 = int(max(cx - side / 2, 0)), int(max(cy - side / 2, 0))
    x1, y1 = int(min(cx + side / 2, gray.shape[1])), int(min(cy + side / 2, gray.shape[0]))
    roi = gray[y0:y1, x0:x1]
    if roi.size == 0:
        return roi, 1.0
    scale = min(side_px / max(roi.shape), max_upscale)
    return roi, (1.0 if 0.95 <= scale <= 1.05 else scale)


def resize(img: np.ndarray, scale: float, interpolation: int) -> np.ndarray:
    if scale == 1.0:
        return np.ascontiguousarray(img)
    return cv2.resize(img, None, fx=scale, fy=scale, interpolation=interpolation)


def _valid_texts(barcodes: list[zxingcpp.Barcode]) -> list[str]:
    texts: list[str] = []
    for b in barcodes:
        if b.valid and b.text and b.text not in texts:
            texts.append(b.text)
    return texts


def _box_of(position: zxingcpp.Position) -> Box:
    pts = (position.top_left, position.top_right, position.bottom_right, position.bottom_left)
    xs, ys = [p.x for p in pts], [p.y for p in pts]
    return min(xs), min(ys), max(xs) - min(xs) + 1, max(ys) - min(ys) + 1


def _distinct(boxes: list[Box]) -> list[Box]:
    """Drop boxes whose centre lies inside one already kept: the same code found twice."""
    kept: list[Box] = []
    for b in boxes:
        cx, cy = b[0] + b[2] / 2, b[1] + b[3] / 2
        if b[2] > 0 and b[3] > 0 and not any(k[0] <= cx <= k[0] + k[2] and k[1] <= cy <= k[1] + k[3] for k in kept):
            kept.append(b)
    return kept


class QrScanWorker(FrameWorker):
    """Scans preview frames for QR codes off the preview's thread; ``on_text`` gets every text read."""

    def __init__(self, reader: FrameReader, on_text: Callable[[str], None], *, copy_frames: bool = True) -> None:
        super().__init__(reader, on_text, copy_frames=copy_frames, name="qr-scan")
