"""Head pose from the face mesh: yaw and pitch by aligning rigid mesh points to MediaPipe's canonical face.

The mesh model returns depth (z) on the same scale as x and y, so the 3D points can be aligned to the
canonical face model with a least-squares rotation (Kabsch), under weak perspective: no camera
intrinsics needed, which suits a booth whose lens is not calibrated. Roll is taken from the line between
the iris centres, as the spec defines it ("eyes level").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Canonical face model (mediapipe/modules/face_geometry/data/canonical_face_model.obj, Apache-2.0),
# vertices of points that do not move with expression: x right, y up, z towards the camera.
_RIGID = {
    1: (0.0, -1.126865, 7.475604),  # nose tip
    6: (0.0, 2.473255, 5.788627),  # nose bridge
    10: (0.0, 8.261778, 4.481535),  # forehead top
    168: (0.0, 3.271027, 5.236015),  # between the eyes
    152: (0.0, -9.403378, 4.264492),  # chin
    33: (-4.445859, 2.663991, 3.173422),  # right eye outer corner
    263: (4.445859, 2.663991, 3.173422),  # left eye outer corner
    234: (-7.664182, 0.673132, -2.435867),  # right cheek contour
    454: (7.664182, 0.673132, -2.435867),  # left cheek contour
}
_IDX = np.array(list(_RIGID))
# To image axes (x right, y down, z away from the camera), like the mesh output.
_MODEL = np.array(list(_RIGID.values())) * np.array([1.0, -1.0, -1.0])


@dataclass(frozen=True)
class HeadPose:
    """Degrees. yaw > 0: face turned towards the image right; pitch > 0: chin up; roll > 0: the eye
    line falls towards the image right (clockwise in the image)."""

    yaw: float
    pitch: float
    roll: float


def _kabsch(model: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Rotation R (3x3) minimising |R @ model_i - observed_i| after centring (reflections excluded)."""
    a = model - model.mean(0)
    b = observed - observed.mean(0)
    u, _, vt = np.linalg.svd(a.T @ b)
    d = np.sign(np.linalg.det(vt.T @ u.T))
    return vt.T @ np.diag([1.0, 1.0, d]) @ u.T


def head_pose(points: np.ndarray, right_iris: np.ndarray, left_iris: np.ndarray) -> HeadPose:
    """Pose from (478, 3) mesh points in source pixels."""
    rot = _kabsch(_MODEL, points[_IDX, :3])
    # The canonical forward axis (towards the camera is -z in image axes) after rotation.
    fwd = rot @ np.array([0.0, 0.0, -1.0])
    yaw = math.degrees(math.atan2(-fwd[0], -fwd[2]))
    pitch = math.degrees(math.atan2(-fwd[1], math.hypot(fwd[0], fwd[2])))
    dx, dy = float(left_iris[0] - right_iris[0]), float(left_iris[1] - right_iris[1])
    roll = math.degrees(math.atan2(dy, dx)) if (dx or dy) else 0.0
    return HeadPose(yaw=yaw, pitch=pitch, roll=roll)
