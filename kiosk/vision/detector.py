"""Face detection with MediaPipe's short-range BlazeFace (128x128), decoded as MediaPipe does.

The short-range model finds faces that fill roughly 15-70 % of its square input. A booth still
(4056x3040, face 300-600 px) squeezed into 128 px would make the face 10 px, and a CelebA crop where the
face fills the frame would be cut off. So ``detect`` runs a small pyramid of square windows: level 0 is
the whole image padded to a square 1.5x its long side (big faces, tight crops), each further level halves
the window and tiles the image with half-window overlap, down to the window in which ``min_face_px`` is
about a fifth of the input. Each level is one resize of the whole image, then 128x128 slices.
Detections cut by an inner tile border are dropped (the overlapping tile sees the whole face), and the
rest are merged across tiles and levels with MediaPipe's weighted non-maximum suppression.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from kiosk.vision.imageops import as_bgr, downscale
from kiosk.vision.interpreter import TfliteModel

INPUT = 128
# SsdAnchorsCalculator options of face_detection_short_range_common.pbtxt.
_STRIDES = (8, 16, 16, 16)
_MIN_SCORE = 0.5
_NMS_IOU = 0.3
_PAD = 1.5  # level-0 window = 1.5 x the long side


@dataclass(frozen=True)
class Detection:
    """One face (or palm, kiosk/vision/hands.py) in source pixels. A face's keypoints: right eye, left
    eye (the person's), nose tip, mouth centre, right ear tragion, left ear tragion; the person's right
    eye is on the image left. A palm's: wrist, then the bases of the fingers and the thumb."""

    box: tuple[float, float, float, float]  # x, y, w, h
    score: float
    keypoints: tuple[tuple[float, float], ...]

    @property
    def area(self) -> float:
        return self.box[2] * self.box[3]

    @property
    def centre(self) -> tuple[float, float]:
        x, y, w, h = self.box
        return x + w / 2, y + h / 2

    def scaled(self, factor: float) -> Detection:
        """The same detection in an image ``factor`` times larger."""
        return Detection(
            box=tuple(v * factor for v in self.box),  # type: ignore[arg-type]
            score=self.score,
            keypoints=tuple((x * factor, y * factor) for x, y in self.keypoints),
        )


def ssd_anchors(input_size: int = INPUT, strides: tuple[int, ...] = _STRIDES) -> np.ndarray:
    """(N, 2) anchor centres in [0, 1], as SsdAnchorsCalculator builds them (fixed anchor size 1,
    aspect ratio 1.0, offset 0.5). The defaults are BlazeFace's (896 anchors for 128 px); the palm
    detector's graph has the same strides for a 192 px input (2016 anchors, kiosk/vision/hands.py).

    Layers that share a stride are merged; each layer contributes one anchor per aspect ratio (1.0)
    plus one interpolated-scale anchor, so 2 anchors per cell at stride 8 and 6 at stride 16.
    """
    anchors: list[tuple[float, float]] = []
    layer = 0
    while layer < len(strides):
        stride = strides[layer]
        last = layer
        while last < len(strides) and strides[last] == stride:
            last += 1
        per_cell = 2 * (last - layer)
        size = math.ceil(input_size / stride)
        for y in range(size):
            for x in range(size):
                anchors.extend([((x + 0.5) / size, (y + 0.5) / size)] * per_cell)
        layer = last
    return np.array(anchors, dtype=np.float32)


def decode(
    raw_boxes: np.ndarray,
    raw_scores: np.ndarray,
    anchors: np.ndarray,
    min_score: float = _MIN_SCORE,
    input_size: int = INPUT,
    num_keypoints: int = 6,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TensorsToDetectionsCalculator: boxes (x, y, w, h order) and keypoints relative to the anchors,
    offsets scaled by the input size (x/y/w/h_scale), scores clipped to +/-100 and passed through a
    sigmoid. Returns (boxes xyxy, keypoints, scores) in [0, 1] input coordinates for the detections
    above ``min_score``. BlazeFace: 128 px, 6 keypoints; the palm detector: 192 px, 7 keypoints."""
    coords = 4 + 2 * num_keypoints
    scores = 1.0 / (1.0 + np.exp(-np.clip(raw_scores.reshape(-1).astype(np.float64), -100.0, 100.0)))
    keep = scores >= min_score
    if not keep.any():
        return np.zeros((0, 4)), np.zeros((0, num_keypoints, 2)), np.zeros(0)
    raw = raw_boxes.reshape(-1, coords)[keep] / input_size
    anc = anchors[keep]
    cx = raw[:, 0] + anc[:, 0]
    cy = raw[:, 1] + anc[:, 1]
    w, h = raw[:, 2], raw[:, 3]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    kps = raw[:, 4:coords].reshape(-1, num_keypoints, 2) + anc[:, None, :]
    return boxes, kps, scores[keep]


def _iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    ix0 = np.maximum(box[0], others[:, 0])
    iy0 = np.maximum(box[1], others[:, 1])
    ix1 = np.minimum(box[2], others[:, 2])
    iy1 = np.minimum(box[3], others[:, 3])
    inter = np.clip(ix1 - ix0, 0, None) * np.clip(iy1 - iy0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def weighted_nms(boxes: np.ndarray, kps: np.ndarray, scores: np.ndarray, iou: float = _NMS_IOU):
    """NonMaxSuppressionCalculator, WEIGHTED: each cluster (IoU above ``iou`` with its best member)
    becomes the score-weighted mean of its boxes and keypoints, keeping the best score."""
    order = np.argsort(-scores)
    boxes, kps, scores = boxes[order], kps[order], scores[order]
    remaining = np.ones(len(scores), dtype=bool)
    out = []
    for i in range(len(scores)):
        if not remaining[i]:
            continue
        members = remaining & (_iou(boxes[i], boxes) > iou)
        members[i] = True
        wts = scores[members][:, None]
        box = (boxes[members] * wts).sum(0) / wts.sum()
        kp = (kps[members] * wts[:, :, None]).sum(0) / wts.sum()
        out.append((box, kp, float(scores[i])))
        remaining &= ~members
    return out


class FaceDetector:
    """BlazeFace short range over a window pyramid; see the module docstring for why."""

    def __init__(self, model_path: str | Path, num_threads: int = 2, max_side: int = 1024) -> None:
        self.model = TfliteModel(model_path, num_threads)
        self.anchors = ssd_anchors()
        self.max_side = max_side

    def _infer(self, tile_rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        tensor = (tile_rgb.astype(np.float32) / 127.5 - 1.0)[None]
        raw_boxes, raw_scores = self.model.run(tensor)
        return decode(raw_boxes, raw_scores, self.anchors)

    def detect(self, image_bgr: np.ndarray, min_face_px: float = 30.0) -> list[Detection]:
        """Faces in ``image_bgr`` (any size, BGR or gray), best first, in source pixels.

        The image is first shrunk to ``max_side`` on its long side; ``min_face_px`` is the smallest face
        (box width, source pixels) worth looking for, and decides how fine the pyramid goes.
        """
        img = as_bgr(image_bgr)
        work, scale = downscale(img, self.max_side)
        rgb = cv2.cvtColor(work, cv2.COLOR_BGR2RGB)
        h, w = rgb.shape[:2]
        long_side = max(h, w)
        min_face = max(8.0, min_face_px * scale)
        found_boxes, found_kps, found_scores = [], [], []
        window = long_side * _PAD
        level = 0
        while level == 0 or window * 0.2 >= min_face:
            f = INPUT / window
            lw, lh = max(1, round(w * f)), max(1, round(h * f))
            interp = cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR
            lvl = cv2.resize(rgb, (lw, lh), interpolation=interp)
            pad_x, pad_y = max(0, INPUT - lw), max(0, INPUT - lh)
            if level == 0:  # centre the whole image in the square, grey margin
                px0, py0 = pad_x // 2, pad_y // 2
            else:
                px0, py0 = pad_x // 2, pad_y // 2
            if pad_x or pad_y:
                lvl = cv2.copyMakeBorder(
                    lvl, py0, pad_y - py0, px0, pad_x - px0, cv2.BORDER_CONSTANT, value=(127, 127, 127)
                )
            for tx, ty in _tile_origins(lvl.shape[1], lvl.shape[0]):
                boxes, kps, scores = self._infer(lvl[ty : ty + INPUT, tx : tx + INPUT])
                if not len(scores):
                    continue
                inner = _cut_by_inner_border(boxes, tx, ty, lvl.shape[1], lvl.shape[0])
                boxes, kps, scores = boxes[~inner], kps[~inner], scores[~inner]
                # tile [0, 1] -> level pixels -> work pixels -> source pixels
                to_src = 1.0 / (f * scale)
                boxes = (boxes * INPUT + [tx - px0, ty - py0, tx - px0, ty - py0]) * to_src
                kps = (kps * INPUT + [tx - px0, ty - py0]) * to_src
                found_boxes.append(boxes)
                found_kps.append(kps)
                found_scores.append(scores)
            level += 1
            window /= 2
        if not found_scores:
            return []
        merged = weighted_nms(np.concatenate(found_boxes), np.concatenate(found_kps), np.concatenate(found_scores))
        merged = _drop_contained(merged)
        dets = [
            Detection(
                box=(float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])),
                score=s,
                keypoints=tuple((float(x), float(y)) for x, y in k),
            )
            for b, k, s in merged
        ]
        return sorted(dets, key=lambda d: -d.score * math.sqrt(max(d.area, 1.0)))


def _tile_origins(width: int, height: int) -> list[tuple[int, int]]:
    """Top-left corners of 128x128 tiles with half-tile overlap, the last one flush with the edge."""

    def starts(n: int) -> list[int]:
        if n <= INPUT:
            return [0]
        out = list(range(0, n - INPUT, INPUT // 2))
        out.append(n - INPUT)
        return sorted(set(out))

    return [(x, y) for y in starts(height) for x in starts(width)]


def _cut_by_inner_border(boxes: np.ndarray, tx: int, ty: int, lw: int, lh: int) -> np.ndarray:
    """Boxes (tile [0, 1] coords) that reach an edge of the tile where the level image goes on."""
    m = 0.01
    cut = np.zeros(len(boxes), dtype=bool)
    if tx > 0:
        cut |= boxes[:, 0] < m
    if ty > 0:
        cut |= boxes[:, 1] < m
    if tx + INPUT < lw:
        cut |= boxes[:, 2] > 1 - m
    if ty + INPUT < lh:
        cut |= boxes[:, 3] > 1 - m
    return cut


def _drop_contained(dets: list) -> list:
    """Merge detections where one box lies mostly inside the other, keeping the better score.

    The same face seen at two pyramid levels can come back as a tight and a loose box whose IoU is
    below the NMS threshold; a real second face is never mostly inside another face's box.
    """
    keep: list = []
    for box, kp, score in sorted(dets, key=lambda d: -d[2]):
        same = False
        for kbox, _, _ in keep:
            ix = max(0.0, min(box[2], kbox[2]) - max(box[0], kbox[0]))
            iy = max(0.0, min(box[3], kbox[3]) - max(box[1], kbox[1]))
            small = min((box[2] - box[0]) * (box[3] - box[1]), (kbox[2] - kbox[0]) * (kbox[3] - kbox[1]))
            if ix * iy / max(small, 1e-9) > 0.6:
                same = True
                break
        if not same:
            keep.append((box, kp, score))
    return keep
