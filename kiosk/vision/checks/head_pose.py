"""head_pose: face the camera (yaw, pitch from the mesh) with the eyes level (roll from the irises).

Two sets of limits: the final verdict's (``pose.yaw_deg`` ...), set on frontal faces so that the mesh's
person-to-person scatter does not fail people who face the camera, and the stricter live hints'
(``pose.hint_yaw_deg`` ...), the spec's 5 / 5 / 3 degrees, which ask for "chin a little down" while the
student poses, long before the final check has to fail.
"""

from __future__ import annotations

from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checks._common import excess, r, result
from kiosk.vision.checks._regions import face_box
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "head_pose"
AXES = ("yaw", "pitch", "roll")


def angles(a: FaceAnalysis, p: Profile) -> dict[str, float] | None:
    """Yaw, pitch (less the profile's level-chin offset) and roll in degrees, or None without a mesh."""
    if a.pose is None:
        return None
    pitch = a.pose.pitch - float(p.get("pose.pitch_offset_deg"))
    return {"yaw": a.pose.yaw, "pitch": pitch, "roll": a.pose.roll}


def judge(a: FaceAnalysis, p: Profile, prefix: str) -> CheckResult | None:
    measured = angles(a, p)
    if measured is None:
        return None
    limits = {k: float(p.get(f"pose.{prefix}{k}_deg")) for k in AXES}
    ratios = {k: abs(measured[k]) / limits[k] for k in AXES}
    worst = max(ratios, key=lambda k: ratios[k])
    passed = ratios[worst] <= 1.0
    score = excess(ratios[worst], 1.0, 0.2)
    return result(ID, p, passed, score, worst, {k: r(v, 1) for k, v in measured.items()})


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    """The final verdict on a still."""
    return judge(a, p, "")


def hint(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    """The posing hint on a preview frame: the spec's stricter limits."""
    return judge(a, p, "hint_")


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    """The face; the review screen draws the turn or tilt arrow on it from ``value``."""
    return face_box(a)
