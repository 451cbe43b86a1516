"""Reading the capture code's QR from live preview frames of a phone screen, fast.

Why this pipeline (numbers in docs/qr-bench.md): zxing-cpp reads a phone screen in about 2 ms, a tenth
of pyzbar's or OpenCV's time, and reads more frames than either overall, so it goes first, on the whole
frame. What it misses on a hard frame (banding, moiré, a dim, small or tilted code) is mostly a code too
faint or too small for its sampling grid, so the second stage finds where a code probably is (square,
evenly textured patches dense in edges running both ways, else where zxing half-found one), enlarges
that region, flattens, smooths or sharpens it and asks again; the third reads the camera's larger
detail stream. Those stages only run when the first found nothing and something looks like a code, so
an ordinary frame costs one pass and an empty hallway one pass and a thumbnail.

What cannot be read is reported as a ``Sighting`` with advice for the student (come closer, turn the
screen up, hold still). ``QrScanWorker`` runs the reader on its own thread and takes at most one frame
at a time, so a slow frame costs a dropped scan, never a stalled preview; while nothing is about it
scans less.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np
import zxingcpp

from kiosk.core.frameworker import FrameWorker

log = logging.getLogger(__name__)

Box = tuple[int, int, int, int]  # x, y, width, height in frame pixels

# Only QR codes are looked for. zxing-cpp's stub types ``formats`` as BarcodeFormats alone, though its binding
# (and its own docstring) takes a single BarcodeFormat as well.
QR_ONLY: zxingcpp.BarcodeFormats = zxingcpp.BarcodeFormat.QRCode  # type: ignore[assignment]


@dataclass(frozen=True)
class QrTuning:
    """The pipeline's knobs, with the values the benchmark chose."""

    roi_side_px: int = 600  # enlarge (or shrink) a candidate region to about this size
    roi_margin: float = 0.2  # extra room around a region, as a share of its size, for the quiet zone
    max_upscale: float = 4.0  # beyond this, enlarging only magnifies blur
    max_regions: int = 2  # candidate regions tried per frame
    half_found_growth: float = 3.0  # a region zxing half-found is grown this many times round its centre
    locate_width_px: int = 640  # width of the thumbnail the region finder works on
    max_region_share: float = 0.9  # a "code" bigger than this share of the frame's height is not one
    locate_window: int = 13  # thumbnail pixels over which edge density and gray range are taken
    range_floor: float = 6.0  # added to the local gray range, so flat noise never looks like a code
    code_score: float = 0.12  # edge density over local range above which a thumbnail pixel is code-like
    max_unevenness: float = 0.45  # coefficient of variation of a region's row and column edge profiles
    min_isotropy: float = 0.55  # the weaker edge direction's share of the stronger one
    print_window: int = 4  # frame pixels the full-resolution edge profiles are smoothed over
    max_print_unevenness: float = 0.45  # their coefficient of variation; lines of print measure 0.5-1
    sharpen_sigma: float = 1.5  # unsharp-mask radius, in source pixels
    # Tried in turn on each region: most need the first; 0 (just enlarged) catches a code that one
    # sampling grid missed by bad luck; the last is for heavy blur.
    sharpen_amounts: tuple[float, ...] = (2.5, 0.0, 5.0)
    # How a region is prepared before enlarging, in turn: as it is, flattened (banding, a dim or
    # washed-out screen), then smoothed (moiré, cracks and noise break zxing's sampling less when soft).
    region_preps: tuple[str, ...] = ("plain", "flatten", "smooth")
    smooth_sigma: float = 0.8  # source pixels
    # A region must look like a code before anything more than the first pass is spent on it.
    min_region_px: int = 80  # under 1.4 px per module for a version 10 code; print on posters passes at 60-80
    min_fill: float = 0.45  # share of the region's box that is code-like (text lines and outlines are sparse)
    max_aspect: float = 2.6  # a code seen at 60 degrees is about 2:1
    # Smoothing tried in turn on the detail stream's region: none, then against moiré and noise.
    detail_sigmas: tuple[float, ...] = (0.0, 1.0)
    # What the student is told when a region is seen but not read.
    dim_level: float = 90.0  # the light modules darker than this: the screen is too dim
    low_contrast: float = 60.0  # light minus dark modules under this: dim or washed out by glare
    # A code smeared by a moving hand has weak edges along the smear; a small one is even every way
    # (0.88-0.98 on the tuning seeds, against 0.48-0.66 for hand shake).
    smeared_evenness: float = 0.75


class FrameReader(Protocol):
    def read(self, frame: np.ndarray) -> list[str]: ...


DetailSource = Callable[[], "np.ndarray | None"]


@dataclass(frozen=True)
class Sighting:
    """A code-like region that could not be read, with what the student can do about it.

    ``advice`` is "brighter" (the screen is too dim or washed out), "steadier" (the code is smeared
    one way, as a moving hand does) or else "closer" (a code seen and not read is most often too small
    for the camera).
    """

    box: Box
    side_px: float
    brightness: float  # 90th percentile of the region's gray levels
    contrast: float  # 90th minus 10th percentile
    evenness: float  # weakest over strongest of four edge directions: under 0.75 when smeared one way
    advice: str


@dataclass(frozen=True)
class Scan:
    """What one frame gave: the texts read, or else perhaps a code-like region that was not."""

    texts: list[str]
    sighting: Sighting | None = None


class QrReader:
    """Reads every QR code in a BGR or gray frame; returns their texts (empty when none)."""

    def __init__(self, tuning: QrTuning | None = None) -> None:
        self.tuning = tuning or QrTuning()

    def read(self, frame: np.ndarray, detail: DetailSource | None = None) -> list[str]:
        return self.scan(frame, detail).texts

    def scan(self, frame: np.ndarray, detail: DetailSource | None = None) -> Scan:
        """Read ``frame``; when that fails on a code-like region, retry the region harder.

        ``detail`` gives the same view at a higher resolution (the camera's main stream while the
        preview comes from its low-resolution one); it is only asked for when a region was found and
        the preview could not be read, so an empty hallway never costs a large frame.
        """
        gray = to_gray(frame)
        found = zxingcpp.read_barcodes(gray, formats=QR_ONLY, return_errors=True)
        texts = _valid_texts(found)
        if texts:
            return Scan(texts)
        regions = self._regions(gray, found)
        if not regions:
            return Scan([])
        for box in regions:
            texts = self._read_region(gray, box)
            if texts:
                return Scan(texts)
        big = detail() if detail is not None else None
        if big is not None:
            big_gray = to_gray(big)
            texts = _valid_texts(zxingcpp.read_barcodes(big_gray, formats=QR_ONLY))
            if texts:
                return Scan(texts)
            fx, fy = big_gray.shape[1] / gray.shape[1], big_gray.shape[0] / gray.shape[0]
            for x, y, w, h in regions:
                texts = self._read_detail(big_gray, (int(x * fx), int(y * fy), int(w * fx), int(h * fy)))
                if texts:
                    return Scan(texts)
        return Scan([], sighting(gray, regions[0], self.tuning))

    def _regions(self, gray: np.ndarray, found: list[zxingcpp.Barcode]) -> list[Box]:
        """Edge-dense square patches first, then where zxing half-found a code.

        zxing's failed finds are often a single finder pattern, a seventh of the code's side, so
        their box is grown round its centre to cover the code whichever corner it is.
        """
        grow = self.tuning.half_found_growth
        half_found = [_grown(_box_of(b.position), grow, gray.shape) for b in found]
        return _distinct(find_code_regions(gray, self.tuning) + half_found)[: self.tuning.max_regions]

    def _read_region(self, gray: np.ndarray, box: Box) -> list[str]:
        """The region round ``box`` as it is, flattened (see ``flatten``) and smoothed, each enlarged
        and tried at each sharpening amount."""
        t = self.tuning
        src, scale = crop_region(gray, box, t.roi_margin, t.roi_side_px, t.max_upscale)
        if min(src.shape) < 8:
            return []
        for prep in t.region_preps:
            if prep == "flatten":
                view = flatten(src)
            elif prep == "smooth":
                view = cv2.GaussianBlur(src, (0, 0), t.smooth_sigma)
            else:
                view = src
            texts = self._read_enlarged(view, scale)
            if texts:
                return texts
        return []

    def _read_enlarged(self, src: np.ndarray, scale: float) -> list[str]:
        t = self.tuning
        view = resize(src, scale, cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA)
        # Blurring the small source and enlarging the result is the same low-pass as blurring the
        # enlarged view with a proportionally wider kernel, in about a quarter of the time.
        if scale > 1:
            blurred = cv2.resize(cv2.GaussianBlur(src, (0, 0), t.sharpen_sigma), view.shape[::-1])
        else:
            blurred = cv2.GaussianBlur(view, (0, 0), t.sharpen_sigma)
        for amount in t.sharpen_amounts:
            sharp = cv2.addWeighted(view, 1 + amount, blurred, -amount, 0) if amount else view
            texts = _read_plain(sharp)
            if texts:
                return texts
        return []

    def _read_detail(self, big_gray: np.ndarray, box: Box) -> list[str]:
        """The region in the detail stream, flattened (see ``flatten``), as it is and then smoothed
        (for moiré and sensor noise); the whole detail frame as it is was tried already."""
        t = self.tuning
        src, _ = crop_region(big_gray, box, t.roi_margin, t.roi_side_px, 1.0)
        if min(src.shape) < 8:
            return []
        src = flatten(src)
        for sigma in t.detail_sigmas:
            view = cv2.GaussianBlur(src, (0, 0), sigma) if sigma else src
            texts = _read_plain(view)
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
    """Where a QR code probably is, best first: square patches dense in edges that run both ways.

    Works on a small thumbnail, so it costs well under a millisecond. Text and the phone's outline
    have edges mostly one way at a time; a QR's modules have both everywhere, so the smaller of the
    horizontal and vertical edge densities singles it out. Dividing by the local range of gray levels
    makes a dim or washed-out code count as much as a crisp one. A patch must then look like a code
    as a whole: about square, mostly filled, and evenly textured (lines of print have rows of edges
    and rows of paper, so their edge profile is uneven).
    """
    h, w = gray.shape
    down = max(1, w // tuning.locate_width_px)
    if min(h, w) // down < 16:
        return []
    small = cv2.resize(gray, (w // down, h // down), interpolation=cv2.INTER_AREA)
    # 8-bit edges (a quarter of the Sobel response, so a full black-white step stays under 255) keep
    # the box filters cheap; this runs on every idle frame.
    gx = cv2.convertScaleAbs(cv2.Sobel(small, cv2.CV_16S, 1, 0, ksize=3), alpha=0.25)
    gy = cv2.convertScaleAbs(cv2.Sobel(small, cv2.CV_16S, 0, 1, ksize=3), alpha=0.25)
    k = (tuning.locate_window, tuning.locate_window)
    kernel = np.ones(k, np.uint8)
    local_range = cv2.dilate(small, kernel) - cv2.erode(small, kernel)
    density = np.minimum(cv2.blur(gx, k), cv2.blur(gy, k)).astype(np.float32)
    score = density / (local_range.astype(np.float32) + tuning.range_floor)
    # Components are labelled at half this resolution: as good for boxes, and far fewer fragments.
    pooled = cv2.resize(score, (score.shape[1] // 2, score.shape[0] // 2), interpolation=cv2.INTER_AREA)
    mask = (pooled > tuning.code_score).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
    weight = np.bincount(labels.ravel(), weights=pooled.ravel(), minlength=count)
    boxes: list[Box] = []
    for i in sorted(range(1, count), key=lambda i: weight[i], reverse=True):
        x, y, bw, bh, area = (int(v) for v in stats[i])
        if min(bw, bh) * 2 * down < tuning.min_region_px or area < tuning.min_fill * bw * bh:
            continue
        if max(bw, bh) > tuning.max_aspect * min(bw, bh) or max(bw, bh) * 2 > tuning.max_region_share * min(
            score.shape
        ):
            continue
        sx, sy, sw, sh = 2 * x, 2 * y, 2 * bw, 2 * bh
        if not _evenly_textured(gx[sy : sy + sh, sx : sx + sw], gy[sy : sy + sh, sx : sx + sw], tuning):
            continue
        box = (sx * down, sy * down, sw * down, sh * down)
        if not _not_print(gray[box[1] : box[1] + box[3], box[0] : box[0] + box[2]], tuning):
            continue
        boxes.append(box)
        if len(boxes) == tuning.max_regions:
            break
    return boxes


def _evenly_textured(gx: np.ndarray, gy: np.ndarray, tuning: QrTuning) -> bool:
    """Edges spread evenly over rows and columns, and about as many each way: a code, not print."""
    gx, gy = gx.astype(np.float32), gy.astype(np.float32)
    edges = gx + gy
    if edges.shape[0] < 4 or edges.shape[1] < 4:
        return False
    for profile in (edges.mean(axis=1), edges.mean(axis=0)):
        mean = float(profile.mean())
        if mean <= 0 or float(profile.std()) / mean > tuning.max_unevenness:
            return False
    sx, sy = float(gx.sum()), float(gy.sum())
    return min(sx, sy) >= tuning.min_isotropy * max(sx, sy)


def _not_print(region: np.ndarray, tuning: QrTuning) -> bool:
    """At the frame's own resolution, lines of print show as rows of edges between rows of paper
    (the thumbnail blurs them together): the edge profile down the region (and across it, for print
    on its side), smoothed over a few pixels, must be as even as a code's."""
    if min(region.shape) < 8:
        return False
    gx = np.abs(cv2.Sobel(region, cv2.CV_32F, 1, 0, ksize=3))
    gy = np.abs(cv2.Sobel(region, cv2.CV_32F, 0, 1, ksize=3))
    edges = gx + gy
    window = np.ones(tuning.print_window, np.float32) / tuning.print_window
    for profile in (edges.mean(axis=1), edges.mean(axis=0)):
        smooth = np.convolve(profile, window, mode="valid")
        mean = float(smooth.mean())
        if mean <= 0 or float(smooth.std()) / mean > tuning.max_print_unevenness:
            return False
    return True


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


def flatten(region: np.ndarray) -> np.ndarray:
    """Stretch each row of ``region`` between its own dark and light levels.

    A phone screen dimmed by pulse-width modulation, seen by a rolling-shutter sensor, is striped
    with bands of light and dark rows; a dim or washed-out screen has little contrast everywhere.
    Both leave the code's light and dark modules in each row apart, only at the wrong levels: the
    10th and 90th percentiles of every row (smoothed over a few rows) bring them back to 0 and 255.
    """
    rows = region.astype(np.float32)
    lo, hi = np.percentile(rows, (10, 90), axis=1)
    lo = cv2.GaussianBlur(lo.reshape(-1, 1), (1, 0), 1.5).ravel()
    hi = cv2.GaussianBlur(hi.reshape(-1, 1), (1, 0), 1.5).ravel()
    span = np.maximum(hi - lo, 4.0)
    out = (rows - lo[:, None]) * (255.0 / span[:, None])
    return np.clip(out, 0, 255).astype(np.uint8)


def _read_plain(gray: np.ndarray) -> list[str]:
    return _valid_texts(zxingcpp.read_barcodes(gray, formats=QR_ONLY, try_downscale=False))


def sighting(gray: np.ndarray, box: Box, tuning: QrTuning) -> Sighting:
    """Measure the unread region at ``box`` and say what would most likely make it readable."""
    x, y, w, h = box
    roi = gray[max(y, 0) : y + h, max(x, 0) : x + w]
    if roi.size == 0:
        roi = gray
    lo, hi = (float(v) for v in np.percentile(roi, (10, 90)))
    contrast = hi - lo
    gx = cv2.Sobel(roi, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(roi, cv2.CV_32F, 0, 1, ksize=3)
    # A moving hand smears the code along one direction only, so the weakest of four directions
    # tells a shaken code from a small one (whose edges are crisp every way).
    directional = [float(np.mean(d)) for d in (np.abs(gx), np.abs(gy), np.abs(gx + gy), np.abs(gx - gy))]
    directional[2:] = [d / np.sqrt(2) for d in directional[2:]]
    evenness = min(directional) / max(max(directional), 1e-6)
    if hi < tuning.dim_level or contrast < tuning.low_contrast:
        advice = "brighter"
    elif evenness < tuning.smeared_evenness:
        advice = "steadier"
    else:
        advice = "closer"
    return Sighting(box, float(max(w, h)), hi, contrast, evenness, advice)


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


def _grown(box: Box, factor: float, shape: tuple[int, ...]) -> Box:
    """``box`` grown ``factor`` times about its centre, kept inside an image of ``shape``."""
    x, y, w, h = box
    cx, cy = x + w / 2, y + h / 2
    side = max(w, h) * factor
    x0, y0 = max(int(cx - side / 2), 0), max(int(cy - side / 2), 0)
    x1, y1 = min(int(cx + side / 2), shape[1]), min(int(cy + side / 2), shape[0])
    return x0, y0, max(x1 - x0, 0), max(y1 - y0, 0)


def _distinct(boxes: list[Box]) -> list[Box]:
    """Drop boxes whose centre lies inside one already kept: the same code found twice."""
    kept: list[Box] = []
    for b in boxes:
        cx, cy = b[0] + b[2] / 2, b[1] + b[3] / 2
        if b[2] > 0 and b[3] > 0 and not any(k[0] <= cx <= k[0] + k[2] and k[1] <= cy <= k[1] + k[3] for k in kept):
            kept.append(b)
    return kept


class QrScanWorker(FrameWorker):
    """Scans preview frames for QR codes off the preview's thread; ``on_text`` gets every text read.

    With a reader that can ``scan`` (``QrReader``), ``on_sighting`` hears the advice for every frame
    where a code-like region was seen but not read, and ``detail`` (the camera's high-resolution
    stream, when it has one) is handed to the reader for its last try.

    While nobody is there the scanner paces itself: once nothing code-like has been seen for
    ``quiet_after_s``, it takes only every ``quiet_every``-th frame offered (7.5 scans a second at
    15 fps, so a phone held up is still seen within a fraction of a second), and none at all while
    the view is the same as in the frame it last scanned (mean difference of a 64x36 thumbnail under
    ``still_level`` gray levels), though at least one in ``still_every``. From the first text or
    sighting on, it takes every frame again.
    """

    def __init__(
        self,
        reader: FrameReader | QrReader,
        on_text: Callable[[str], None],
        *,
        on_sighting: Callable[[str], None] | None = None,
        detail: DetailSource | None = None,
        copy_frames: bool = True,
        quiet_every: int = 2,
        quiet_after_s: float = 2.0,
        still_level: float = 3.0,
        still_every: int = 15,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if quiet_every < 1:
            raise ValueError("quiet_every must be at least 1")
        self._on_text = on_text
        self._on_sighting = on_sighting
        self._quiet_every = quiet_every
        self._quiet_after_s = quiet_after_s
        self._clock = clock
        self._last_seen_at = -float("inf")
        self._quiet_offers = 0
        self._still_level = still_level
        self._still_every = still_every
        self._last_thumb: np.ndarray | None = None
        self._still_skips = 0
        super().__init__(_Scanner(reader, detail), self._deliver, copy_frames=copy_frames, name="qr-scan")

    def offer(self, frame: np.ndarray) -> bool:
        """As ``FrameWorker.offer``, but while quiet only every ``quiet_every``-th frame is taken, and
        none while the view stands still."""
        if self._clock() - self._last_seen_at > self._quiet_after_s:
            self._quiet_offers += 1
            if (self._quiet_offers - 1) % self._quiet_every or self._unchanged(frame):
                self.stats.dropped += 1
                return False
        taken = super().offer(frame)
        if taken:
            self._last_thumb = _thumb(frame)
            self._still_skips = 0
        return taken

    def _unchanged(self, frame: np.ndarray) -> bool:
        """The view is as it was in the last frame scanned (and that was not long ago)."""
        if self._last_thumb is None or self._still_skips + 1 >= self._still_every:
            return False
        thumb = _thumb(frame)
        if thumb.shape != self._last_thumb.shape:
            return False
        if float(cv2.absdiff(thumb, self._last_thumb).mean()) >= self._still_level:
            return False
        self._still_skips += 1
        return True

    def _deliver(self, item: str | Sighting) -> None:
        self._last_seen_at = self._clock()
        if isinstance(item, Sighting):
            if self._on_sighting is not None:
                self._on_sighting(item.advice)
        else:
            self._on_text(item)


def _thumb(frame: np.ndarray) -> np.ndarray:
    """A 64x36 picture of the frame, for telling a still view from a changing one."""
    return cv2.resize(frame, (64, 36), interpolation=cv2.INTER_AREA)


class _Scanner:
    """Adapts a reader to ``FrameWorker``: one list of results per frame, texts then any sighting."""

    def __init__(self, reader: FrameReader | QrReader, detail: DetailSource | None) -> None:
        self._reader = reader
        self._detail = detail

    def read(self, frame: np.ndarray) -> list[str | Sighting]:
        if not isinstance(self._reader, QrReader):
            return list(self._reader.read(frame))
        result = self._reader.scan(frame, self._detail)
        return [*result.texts, *([result.sighting] if result.sighting else [])]
