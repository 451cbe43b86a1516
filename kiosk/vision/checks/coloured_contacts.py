"""coloured_contacts: no coloured or enlarging contact lenses (美瞳), photo-spec section 6.

Per eye, the iris ring (between 0.45 and 0.9 of the iris radius from the iris model, inside the eye
opening so lids and lashes stay out) is looked at in the IED-64 face patch: its median chroma C*ab
and hue in Lab, and the iris diameter over the eye distance. Natural irises of the booth's users are
dark brown: low chroma, hue in the red-yellow quarter. A lens fails when the ring is strongly coloured
(C* over ``iris.max_chroma``) with a hue outside the natural brown range, or when the iris is larger than
``iris.max_diameter`` eye distances (enlarging "big-eye" lenses). The spec says to calibrate this before it
blocks, so the chsi profile sets it to warn (top-level ``coloured_contacts``). Not judged on faces
whose iris is under ``iris.min_iris_px`` source pixels across: a few pixels of iris are colour fringe.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from kiosk.vision.analysis import PATCH_IED, FaceAnalysis
from kiosk.vision.checks._common import excess, polygon_mask, r, result
from kiosk.vision.checks._regions import EYES, points_box
from kiosk.vision.colour import hue_chroma, to_lab
from kiosk.vision.landmarks import LEFT_EYE_CONTOUR, RIGHT_EYE_CONTOUR
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "coloured_contacts"
_NATURAL_HUE = (10.0, 100.0)  # degrees in a*b*: brown to amber; blue, green, grey-blue and violet are not


def ring_colour(a: FaceAnalysis, which: int) -> tuple[float, float] | None:
    """(median hue, median chroma) of one iris ring (0: the person's right eye, 1: left), or None."""
    assert a.patch is not None and a.mesh is not None
    centre_idx, contour = (468, RIGHT_EYE_CONTOUR) if which == 0 else (473, LEFT_EYE_CONTOUR)
    k = PATCH_IED / max(a.ied, 1e-6)
    rad = a.mesh.iris_radius[which] * k
    cx, cy = a.patch.points[centre_idx]
    shape = a.patch.bgr.shape[:2]
    ring = np.zeros(shape, np.uint8)
    cv2.circle(ring, (int(round(cx)), int(round(cy))), max(1, int(round(0.9 * rad))), 1, -1)
    cv2.circle(ring, (int(round(cx)), int(round(cy))), max(0, int(round(0.45 * rad))), 0, -1)
    inside = ring.astype(bool) & polygon_mask(shape, a.patch.points[list(contour)])
    if inside.sum() < 6:
        return None
    hue, chroma = hue_chroma(to_lab(a.patch.bgr[inside]))
    # Median hue on the circle: the mean direction of the pixels weighted by their chroma.
    ang = np.radians(hue)
    mean_hue = float(np.degrees(np.arctan2((chroma * np.sin(ang)).sum(), (chroma * np.cos(ang)).sum())) % 360)
    return mean_hue, float(np.median(chroma))


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    if a.patch is None or a.mesh is None or 2 * min(a.mesh.iris_radius) < float(p.get("iris.min_iris_px")):
        return None
    rings = [c for c in (ring_colour(a, 0), ring_colour(a, 1)) if c is not None]
    if not rings:
        return None
    diameter = 2 * float(np.mean(a.mesh.iris_radius)) / max(a.ied, 1e-6)
    max_chroma = float(p.get("iris.max_chroma"))
    max_diameter = float(p.get("iris.max_diameter"))
    unnatural = [c for h, c in rings if not (_NATURAL_HUE[0] <= h <= _NATURAL_HUE[1])]
    colour = max(unnatural, default=0.0)
    passed = colour <= max_chroma and diameter <= max_diameter
    score = max(excess(colour, max_chroma, 4.0), excess(diameter, max_diameter, 0.01))
    hue, chroma = rings[0]
    value = {"hue": r(hue, 1), "chroma": r(chroma, 1), "diameter": r(diameter), "unnatural_chroma": r(colour, 1)}
    res = result(ID, p, passed, score, "lenses", value)
    if p.get("coloured_contacts") == "warn":
        res = replace(res, severity="warn")
    return res


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    return points_box(a, EYES, 0.12)
