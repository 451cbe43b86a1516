"""Face mesh (468 points) and iris landmarks, projected back to source pixels.

``face_landmark.tflite`` takes a 192x192 crop rotated so the eyes are level (ROI = detection box, long
side x 1.5, rotation from the two eye keypoints, as MediaPipe's FaceDetectionFrontDetectionToRoi). For a
still we run it twice: the second crop is built from the first mesh (MediaPipe's landmarks-to-ROI), which
centres the face better than the detector box. ``iris_landmark.tflite`` then takes a 64x64 crop per eye
(eye corners, x 2.3); it is trained on the eye at the image left, so the other eye is mirrored in and out.
The iris model's eye contour replaces the mesh's eyelid points, as MediaPipe's refinement does.
The result uses MediaPipe's 478-point layout: 0-467 mesh, 468-472 iris of the eye with corners 33/133
(the person's right eye, image left), 473-477 iris of the eye with corners 362/263.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from kiosk.vision.detector import Detection
from kiosk.vision.interpreter import TfliteModel
from kiosk.vision.roi import Coarse, RotatedRect, angle_between, square_roi, to_source, warp

MESH_INPUT = 192
IRIS_INPUT = 64

# Mesh indices used across the checks (MediaPipe face mesh topology).
RIGHT_EYE_OUTER, RIGHT_EYE_INNER = 33, 133  # the person's right eye: image left
LEFT_EYE_INNER, LEFT_EYE_OUTER = 362, 263
RIGHT_UPPER_LID, RIGHT_LOWER_LID = 159, 145
LEFT_UPPER_LID, LEFT_LOWER_LID = 386, 374
CHEEK_RIGHT, CHEEK_LEFT = 234, 454  # face contour at cheek level (image left, image right)
CHIN, FOREHEAD, NOSE_TIP = 152, 10, 1
UPPER_INNER_LIP, LOWER_INNER_LIP = 13, 14
MOUTH_RIGHT, MOUTH_LEFT = 61, 291
INNER_LIPS = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95)
NOSE_RIDGE = (168, 6, 197, 195, 5, 4, 1, 19, 94, 2)
RIGHT_EYE_CONTOUR = (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246)
LEFT_EYE_CONTOUR = (362, 382, 381, 380, 374, 373, 390, 249, 263, 466, 388, 387, 386, 385, 384, 398)
RIGHT_BROW = (70, 63, 105, 66, 107, 55, 65, 52, 53, 46)
LEFT_BROW = (336, 296, 334, 293, 300, 276, 283, 282, 295, 285)
OUTER_LIPS = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185)
# Mesh points the iris model's first 16 eye-contour points replace (MediaPipe's
# UpdateFaceLandmarksCalculator): lower lid from the outer corner to the inner one, then the upper lid.
RIGHT_EYE_REFINED = (33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173)
LEFT_EYE_REFINED = (263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398)
RIGHT_IRIS = slice(468, 473)
LEFT_IRIS = slice(473, 478)


@dataclass(frozen=True)
class FaceMesh:
    """478 points (x, y, z) in source pixels; z is depth relative to the face, same scale as x."""

    points: np.ndarray
    presence: float  # face-presence probability from the mesh model
    roi: RotatedRect
    iris_radius: tuple[float, float]  # (right eye = 468 group, left eye = 473 group), source px

    def xy(self, index: int) -> np.ndarray:
        return self.points[index, :2]

    @property
    def right_iris(self) -> np.ndarray:
        return self.points[468, :2]

    @property
    def left_iris(self) -> np.ndarray:
        return self.points[473, :2]


def _sigmoid(x: float) -> float:
    return float(1.0 / (1.0 + np.exp(-np.clip(x, -60, 60))))


def roi_from_detection(det: Detection) -> RotatedRect:
    x, y, w, h = det.box
    angle = angle_between(np.array(det.keypoints[0]), np.array(det.keypoints[1]))
    return square_roi(x + w / 2, y + h / 2, w, h, angle, 1.5)


def roi_from_mesh(points: np.ndarray) -> RotatedRect:
    xy = points[:468, :2]
    x0, y0 = xy.min(0)
    x1, y1 = xy.max(0)
    angle = angle_between(points[RIGHT_EYE_OUTER], points[LEFT_EYE_OUTER])
    return square_roi((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0, angle, 1.5)


class FaceLandmarker:
    """Runs the mesh and iris models; one instance per checker, models loaded once."""

    def __init__(self, mesh_model: str | Path, iris_model: str | Path | None, num_threads: int = 2) -> None:
        self.mesh = TfliteModel(mesh_model, num_threads)
        self.iris = TfliteModel(iris_model, num_threads) if iris_model else None

    def presence(self, bgr: np.ndarray, det: Detection, coarse: Coarse | None = None) -> float:
        """Face-presence probability of the mesh model on a detection: a cheap second opinion."""
        _, score = self._mesh_once(bgr, roi_from_detection(det), coarse)
        return score

    def _mesh_once(self, bgr: np.ndarray, roi: RotatedRect, coarse: Coarse | None = None) -> tuple[np.ndarray, float]:
        patch = cv2.cvtColor(warp(bgr, roi, MESH_INPUT, MESH_INPUT, coarse), cv2.COLOR_BGR2RGB)
        raw, flag = self.mesh.run((patch.astype(np.float32) / 255.0)[None])
        pts = raw.reshape(468, 3).astype(np.float64)
        return to_source(pts, roi, MESH_INPUT, MESH_INPUT), _sigmoid(float(flag.reshape(-1)[0]))

    @staticmethod
    def _iris_once(
        iris_model: TfliteModel, bgr: np.ndarray, p0: np.ndarray, p1: np.ndarray, mirror: bool
    ) -> tuple[np.ndarray, np.ndarray, float]:
        w, h = abs(p1[0] - p0[0]), abs(p1[1] - p0[1])
        roi = square_roi((p0[0] + p1[0]) / 2, (p0[1] + p1[1]) / 2, w, h, angle_between(p0, p1), 2.3)
        patch = cv2.cvtColor(warp(bgr, roi, IRIS_INPUT, IRIS_INPUT), cv2.COLOR_BGR2RGB)
        if mirror:
            patch = cv2.flip(patch, 1)
        contour, iris = iris_model.run((patch.astype(np.float32) / 255.0)[None])
        pts = iris.reshape(5, 3).astype(np.float64)
        eye = contour.reshape(71, 3)[:16].astype(np.float64)
        if mirror:
            pts[:, 0] = IRIS_INPUT - pts[:, 0]
            eye[:, 0] = IRIS_INPUT - eye[:, 0]
        src = to_source(pts, roi, IRIS_INPUT, IRIS_INPUT)
        radius = float(np.mean(np.linalg.norm(src[1:, :2] - src[0, :2], axis=1)))
        return src, to_source(eye, roi, IRIS_INPUT, IRIS_INPUT), radius

    def run(self, bgr: np.ndarray, det: Detection, refine: bool = True, coarse: Coarse | None = None) -> FaceMesh:
        """Mesh (and irises, when the iris model is loaded) for one detected face in a BGR image.

        Only the face region is converted to RGB, so a 12-megapixel still is never copied whole;
        ``coarse`` (a downscaled copy) is used for the mesh crop when it has enough pixels."""
        roi = roi_from_detection(det)
        pts, presence = self._mesh_once(bgr, roi, coarse)
        if refine and presence >= 0.5:
            roi = roi_from_mesh(pts)
            pts, presence = self._mesh_once(bgr, roi, coarse)
        full = np.zeros((478, 3))
        full[:468] = pts
        radii = (0.0, 0.0)
        if self.iris is not None:
            iris = self.iris
            right, right_eye, r_right = self._iris_once(
                iris, bgr, pts[RIGHT_EYE_OUTER, :2], pts[RIGHT_EYE_INNER, :2], False
            )
            left, left_eye, r_left = self._iris_once(iris, bgr, pts[LEFT_EYE_INNER, :2], pts[LEFT_EYE_OUTER, :2], True)
            full[RIGHT_IRIS] = right
            full[LEFT_IRIS] = left
            # The iris model's eyelids are sharper than the mesh's (the mesh keeps a face-shape prior
            # and draws open eyes over closed ones); keep the mesh depth, take the refined x, y.
            full[list(RIGHT_EYE_REFINED), :2] = right_eye[:, :2]
            full[list(LEFT_EYE_REFINED), :2] = left_eye[:, :2]
            radii = (r_right, r_left)
        else:  # no iris model: eye-corner midpoints stand in for the iris centres
            full[RIGHT_IRIS] = (pts[RIGHT_EYE_OUTER] + pts[RIGHT_EYE_INNER]) / 2
            full[LEFT_IRIS] = (pts[LEFT_EYE_INNER] + pts[LEFT_EYE_OUTER]) / 2
        return FaceMesh(points=full, presence=presence, roi=roi, iris_radius=radii)
