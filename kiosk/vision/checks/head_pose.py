"""head_pose: face the camera (yaw, pitch from the mesh) with the eyes level (roll from the irises)."""

from __future__ import annotations

from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checks._common import excess, r, result
from kiosk.vision.checks._regions import face_box
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "head_pose"


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    if a.pose is None:
        return None
    limits = {k: float(p.get(f"pose.{k}_deg")) for k in ("yaw", "pitch", "roll")}
    pitch = a.pose.pitch - float(p.get("pose.pitch_offset_deg"))
    angles = {"yaw": a.pose.yaw, "pitch": pitch, "roll": a.pose.roll}
    ratios = {k: abs(angles[k]) / limits[k] for k in angles}
    worst = max(ratios, key=lambda k: ratios[k])
    passed = ratios[worst] <= 1.0
    score = excess(ratios[worst], 1.0, 0.2)
    return result(ID, p, passed, score, worst, {k: r(v, 1) for k, v in angles.items()})


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    """The face; the review screen draws the turn or tilt arrow on it from ``value``."""
    return face_box(a)
