"""One analysis pass per image, shared by every check (like OFIQ's session: detectors once, measures many).

``Analyser.analyse`` runs each model once: face detection and person segmentation on a downscaled copy
(long side 1024), the face mesh and irises on the face region of the full-resolution image, palm
detection on a square around the face (stills only). It then derives what the checks read: head pose,
eye centres, IED, T (eye midpoint to chin), crown (top of the person mask above the face), face width
(mesh 234-454), the 480x640 crop from the spec 1.5 solver, and a face patch de-rotated and scaled to
IED 64 px for the pixel statistics. Nothing here passes or fails.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from kiosk.vision import landmarks as lm
from kiosk.vision.crop import OUT_H, OUT_W, CropSolution, GeometryRules, solve
from kiosk.vision.detector import Detection, FaceDetector
from kiosk.vision.hands import PalmDetector, face_square
from kiosk.vision.imageops import as_bgr, downscale
from kiosk.vision.landmarks import FaceLandmarker, FaceMesh
from kiosk.vision.pose import HeadPose, head_pose
from kiosk.vision.roi import RotatedRect, warp
from kiosk.vision.segmentation import PersonSegmenter

WORK_SIDE = 1024
PATCH_IED = 64.0
PATCH_SIDE = 256  # face patch: 4 IED wide, IED = 64 px


@dataclass(frozen=True)
class ModelFiles:
    detector: Path
    mesh: Path
    iris: Path
    segmentation: Path
    palm: Path

    @classmethod
    def in_dir(cls, folder: Path) -> ModelFiles:
        return cls(
            detector=folder / "face_detection_short_range.tflite",
            mesh=folder / "face_landmark.tflite",
            iris=folder / "iris_landmark.tflite",
            segmentation=folder / "selfie_segmentation.tflite",
            palm=folder / "palm_detection_lite.tflite",
        )


@dataclass
class FacePatch:
    """The face, de-rotated and scaled so the IED is 64 px; ``points`` are the mesh in patch pixels."""

    bgr: np.ndarray
    points: np.ndarray
    rect: RotatedRect


@dataclass
class FaceAnalysis:
    image: np.ndarray  # source, BGR uint8 (not copied)
    faces: list[Detection] = field(default_factory=list)  # confirmed faces, main face first
    mesh: FaceMesh | None = None
    pose: HeadPose | None = None
    work: np.ndarray | None = None  # downscaled BGR copy
    work_scale: float = 1.0  # work px per source px
    mask: np.ndarray | None = None  # person probability at work size
    crown_y: float | None = None  # source px
    crown_from_mask: bool = False  # False: the crown is estimated from the mesh (no usable mask)
    crop: CropSolution | None = None
    region: tuple[float, float, float, float] | None = None  # the output's rectangle in source px
    patch: FacePatch | None = None
    palms: list[Detection] = field(default_factory=list)  # palms around the main face, source px, best first
    attributes: dict[str, float] | None = None  # face-attribute probabilities, set by the checker
    ms: dict[str, float] = field(default_factory=dict)

    @property
    def size(self) -> tuple[int, int]:
        return self.image.shape[1], self.image.shape[0]

    @property
    def has_face(self) -> bool:
        return self.mesh is not None

    def pt(self, index: int) -> np.ndarray:
        assert self.mesh is not None
        return self.mesh.points[index, :2]

    @property
    def eye_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """OFIQ's eye centres: midpoints of each eye's corners (right eye, left eye)."""
        right = (self.pt(lm.RIGHT_EYE_OUTER) + self.pt(lm.RIGHT_EYE_INNER)) / 2
        left = (self.pt(lm.LEFT_EYE_INNER) + self.pt(lm.LEFT_EYE_OUTER)) / 2
        return right, left

    @property
    def ied(self) -> float:
        r, left = self.eye_centres
        return float(np.linalg.norm(left - r))

    @property
    def t(self) -> float:
        """Distance from the midpoint between the eyes to the chin (OFIQ's T)."""
        r, left = self.eye_centres
        return float(np.linalg.norm(self.pt(lm.CHIN) - (r + left) / 2))

    @property
    def pupil_mid(self) -> np.ndarray:
        assert self.mesh is not None
        return (self.mesh.right_iris + self.mesh.left_iris) / 2

    @property
    def face_width(self) -> float:
        return float(np.linalg.norm(self.pt(lm.CHEEK_LEFT) - self.pt(lm.CHEEK_RIGHT)))

    def to_work(self, xy: np.ndarray) -> np.ndarray:
        return np.asarray(xy, dtype=float) * self.work_scale


class Analyser:
    """Holds the five models; ``analyse`` is the whole per-image pass."""

    def __init__(self, models: ModelFiles, num_threads: int = 2) -> None:
        self.detector = FaceDetector(models.detector, num_threads, max_side=4096)
        self.landmarker = FaceLandmarker(models.mesh, models.iris, num_threads)
        self.segmenter = PersonSegmenter(models.segmentation, num_threads)
        self.palms = PalmDetector(models.palm, num_threads)

    def find_faces(
        self,
        image: np.ndarray,
        work: np.ndarray,
        scale: float,
        min_score: float,
        min_presence: float,
        min_face_share: float = 0.05,
    ) -> list[Detection]:
        """Detections confirmed by the mesh model, main (largest) face first, in source pixels."""
        min_face = max(24.0, min_face_share * max(work.shape[:2]))
        dets = [d for d in self.detector.detect(work, min_face_px=min_face) if d.score >= min_score][:6]
        confirmed = []
        for d in dets:
            src = d.scaled(1.0 / scale)
            if self.landmarker.presence(image, src, (work, scale)) >= min_presence:
                confirmed.append(src)
        return sorted(confirmed, key=lambda d: -d.area)

    def analyse(
        self,
        image: np.ndarray,
        rules: GeometryRules | None = None,
        min_score: float = 0.5,
        min_presence: float = 0.5,
        segment: bool = True,
        refine: bool = True,
        work_side: int = WORK_SIDE,
        min_face_share: float = 0.05,
    ) -> FaceAnalysis:
        """``segment``/``refine`` off and a smaller ``work_side`` give the fast pass for live hints;
        ``min_face_share`` is the smallest face looked for, as a share of the image's long side."""
        ms: dict[str, float] = {}
        t0 = time.perf_counter()
        img = as_bgr(image)
        work, scale = downscale(img, work_side)
        a = FaceAnalysis(image=img, work=work, work_scale=scale, ms=ms)
        t1 = time.perf_counter()
        a.faces = self.find_faces(img, work, scale, min_score, min_presence, min_face_share)
        ms["detect"] = (time.perf_counter() - t1) * 1000
        if segment:
            t1 = time.perf_counter()
            a.mask = self.segmenter.run(cv2.cvtColor(work, cv2.COLOR_BGR2RGB))
            ms["segment"] = (time.perf_counter() - t1) * 1000
        if a.faces:
            t1 = time.perf_counter()
            mesh = self.landmarker.run(img, a.faces[0], refine=refine, coarse=(work, scale))
            ms["mesh"] = (time.perf_counter() - t1) * 1000
            if mesh.presence >= min_presence:
                a.mesh = mesh
                a.pose = head_pose(mesh.points, mesh.right_iris, mesh.left_iris)
                if a.mask is not None:
                    a.crown_y = crown_from_mask(a)
                a.crown_from_mask = a.crown_y is not None
                if a.crown_y is None:
                    a.crown_y = crown_from_mesh(a)
                a.crop, a.region = place(a, rules or GeometryRules())
                a.patch = face_patch(a)
                if segment:  # the still's pass: one palm inference on a square around the face
                    t1 = time.perf_counter()
                    a.palms = self.palms.detect(img, face_square(a.faces[0].box))
                    ms["palm"] = (time.perf_counter() - t1) * 1000
        ms["total"] = (time.perf_counter() - t0) * 1000
        return a


def crown_from_mask(a: FaceAnalysis, threshold: float = 0.5) -> float | None:
    """Top of the person mask in the face's horizontal span, following the mask up from the eyes.

    Per column between the cheek points, the crown is where the unbroken run of person pixels above the
    eye line ends; the highest of those is the crown. A column whose run reaches the top edge gives 0
    (the head touches the frame edge, so the crown is not in the picture).
    """
    assert a.mask is not None
    x0 = int(math.floor(a.to_work(a.pt(lm.CHEEK_RIGHT))[0]))
    x1 = int(math.ceil(a.to_work(a.pt(lm.CHEEK_LEFT))[0]))
    x0, x1 = max(0, min(x0, x1)), min(a.mask.shape[1], max(x0, x1) + 1)
    eye_row = int(round(a.to_work(a.pupil_mid)[1]))
    eye_row = min(max(eye_row, 1), a.mask.shape[0])
    if x1 - x0 < 2:
        return None
    band = a.mask[:eye_row, x0:x1] >= threshold
    person_at_eyes = band[-1]
    if not person_at_eyes.any():
        return None
    flipped = band[::-1]
    run = np.where(flipped.all(axis=0), eye_row, np.argmin(flipped, axis=0))
    tops = eye_row - run[person_at_eyes]
    return float(tops.min()) / a.work_scale


def crown_from_mesh(a: FaceAnalysis) -> float:
    """Fallback crown when there is no mask: the forehead point raised by a typical hair allowance."""
    return float(a.pt(lm.FOREHEAD)[1] - 0.35 * a.t)


def place(a: FaceAnalysis, rules: GeometryRules) -> tuple[CropSolution | None, tuple[float, float, float, float]]:
    """The spec 1.5 crop, and the rectangle of the source the output shows (for background, clothing
    and shoulders). Without a solution, the rectangle is the nominal placement clipped to the image."""
    w, h = a.size
    mid = a.pupil_mid
    crop = None
    if a.crown_y is not None and a.crown_from_mask:
        crop = solve(a.face_width, float(mid[1]), float(mid[0]), a.crown_y, w, h, rules)
        if crop.problem is None and crop.rect is not None:
            return crop, crop.rect
    s = rules.target_face_width / max(a.face_width, 1.0)
    x0 = float(mid[0]) - (OUT_W / 2) / s
    y0 = float(mid[1]) - rules.target_eye_line / s
    x1, y1 = x0 + OUT_W / s, y0 + OUT_H / s
    x0, y0, x1, y1 = max(0.0, x0), max(0.0, y0), min(float(w), x1), min(float(h), y1)
    return crop, (x0, y0, max(1.0, x1 - x0), max(1.0, y1 - y0))


def face_patch(a: FaceAnalysis) -> FacePatch:
    right, left = a.eye_centres
    ied = max(a.ied, 1.0)
    angle = math.atan2(float(left[1] - right[1]), float(left[0] - right[0]))
    centre = (right + left) / 2
    # Centre the patch a little below the eyes so forehead, cheeks and chin all fit.
    down = np.array([-math.sin(angle), math.cos(angle)])
    c = centre + down * 0.6 * ied
    side = PATCH_SIDE / PATCH_IED * ied
    rect = RotatedRect(float(c[0]), float(c[1]), side, side, angle)
    bgr = warp(a.image, rect, PATCH_SIDE, PATCH_SIDE, (a.work, a.work_scale) if a.work is not None else None)
    ex, ey = rect.axes()
    rel = a.mesh.points[:, :2] - c  # type: ignore[union-attr]
    pts = np.stack([rel @ ex, rel @ ey], axis=1) / side * PATCH_SIDE + PATCH_SIDE / 2
    return FacePatch(bgr=bgr, points=pts, rect=rect)
