"""Hands near the face, with MediaPipe's palm detector (lite), decoded as its palm_detection graph does.

face_occlusion compares the face with the face's own skin, so a hand (skin too) over a cheek or the
mouth passes it; a palm detector finds the hand by its shape instead. It runs once per still, on a
square around the face only (``REGION_FACES`` face sizes wide), not on the whole frame: a hand that
covers the face is next to it, and a hand far from the face is none of the check's business.

Decoding follows mediapipe/modules/palm_detection/palm_detection_cpu.pbtxt (mediapipe 0.10.14):
ImageToTensorCalculator to 192x192 RGB in [0, 1] with zero borders; SsdAnchorsCalculator with strides
8, 16, 16, 16 (2016 anchors, the same construction as BlazeFace's, ``detector.ssd_anchors``);
TensorsToDetectionsCalculator with 18 coordinates per box (box, then 7 keypoints), scale 192, sigmoid
scores clipped at 100, ``min_score`` 0.5; weighted non-maximum suppression at IoU 0.3. Only the score
threshold the check applies afterwards is the booth's own (profile ``face_occlusion.min_palm_score``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from kiosk.vision.detector import Detection, decode, ssd_anchors, weighted_nms
from kiosk.vision.interpreter import TfliteModel

INPUT = 192
STRIDES = (8, 16, 16, 16)
KEYPOINTS = 7
MIN_SCORE = 0.5  # the graph's min_score_thresh
NMS_IOU = 0.3
REGION_FACES = 2.5  # side of the square looked at, in face sizes


@dataclass(frozen=True)
class Square:
    """The square of the source looked at: top-left corner and side, in source pixels."""

    x: float
    y: float
    side: float


def face_square(box: tuple[float, float, float, float], faces: float = REGION_FACES) -> Square:
    """A square ``faces`` times the face box's longer side, centred on the face box (x, y, w, h)."""
    x, y, w, h = box
    side = max(w, h) * faces
    return Square(x + w / 2 - side / 2, y + h / 2 - side / 2, side)


def cut_square(image: np.ndarray, sq: Square, size: int = INPUT) -> np.ndarray:
    """The square resized to ``size`` x ``size``; where it leaves the image, zeros (BORDER_ZERO).

    A square over twice ``size`` is first reduced by a whole factor (area averaging, as the final
    resize does), borders included, so a face filling a 12 MP still is never padded at full resolution:
    the padded copy stays under 4 x ``size`` pixels a side, whatever the face's size."""
    h, w = image.shape[:2]
    x0, y0 = int(round(sq.x)), int(round(sq.y))
    side = max(1, int(round(sq.side)))
    x1, y1 = x0 + side, y0 + side
    part = image[max(0, y0) : min(h, y1), max(0, x0) : min(w, x1)]
    if part.size == 0:
        return np.zeros((size, size, 3), np.uint8)
    pads = [max(0, -y0), max(0, y1 - h), max(0, -x0), max(0, x1 - w)]  # top, bottom, left, right
    shrink = side // (2 * size)
    if shrink >= 2:
        ph, pw = max(1, part.shape[0] // shrink), max(1, part.shape[1] // shrink)
        part = cv2.resize(part, (pw, ph), interpolation=cv2.INTER_AREA)
        pads = [int(round(p / shrink)) for p in pads]
        side = max(part.shape[0] + pads[0] + pads[1], part.shape[1] + pads[2] + pads[3])
    top, bottom, left, right = pads
    part = cv2.copyMakeBorder(part, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(0, 0, 0))
    interp = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    return cv2.resize(part, (size, size), interpolation=interp)


class PalmDetector:
    """MediaPipe's palm_detection_lite.tflite; ``detect`` is one inference on a square of the image."""

    def __init__(self, model_path: str | Path, num_threads: int = 2) -> None:
        self.model = TfliteModel(model_path, num_threads)
        self.anchors = ssd_anchors(INPUT, STRIDES)

    def detect_input(self, tile_rgb: np.ndarray, min_score: float = MIN_SCORE) -> list[Detection]:
        """Palms in a 192x192 RGB uint8 tile, in tile [0, 1] coordinates, best first."""
        tensor = (tile_rgb.astype(np.float32) / 255.0)[None]
        raw_boxes, raw_scores = self.model.run(tensor)
        boxes, kps, scores = decode(raw_boxes, raw_scores, self.anchors, min_score, INPUT, KEYPOINTS)
        if not len(scores):
            return []
        return [
            Detection(
                box=(float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])),
                score=s,
                keypoints=tuple((float(x), float(y)) for x, y in k),
            )
            for b, k, s in weighted_nms(boxes, kps, scores, NMS_IOU)
        ]

    def detect(self, image_bgr: np.ndarray, sq: Square, min_score: float = MIN_SCORE) -> list[Detection]:
        """Palms inside the square ``sq`` of ``image_bgr``, in source pixels, best first."""
        tile = cv2.cvtColor(cut_square(image_bgr, sq), cv2.COLOR_BGR2RGB)  # convert 192 px, not the still
        out = []
        for d in self.detect_input(tile, min_score):
            bx, by, bw, bh = d.box
            out.append(
                Detection(
                    box=(sq.x + bx * sq.side, sq.y + by * sq.side, bw * sq.side, bh * sq.side),
                    score=d.score,
                    keypoints=tuple((sq.x + x * sq.side, sq.y + y * sq.side) for x, y in d.keypoints),
                )
            )
        return out
