"""The checks: one module per check id, each a function of the shared FaceAnalysis and the profile.

A check returns None when it cannot measure (no face, the region is outside the frame); the report
then leaves it out rather than guessing. ``ORDER`` is the review-screen order of spec section 5.
A module's ``region(analysis, result)`` says where in the source the check looked (``REGIONS``), so the
review screen can outline it; ``locate`` attaches it to the result.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checks import (
    background,
    clothing_not_blue,
    coloured_contacts,
    ears_visible,
    exposure,
    expression,
    eyebrows_visible,
    eyes_open,
    face_occlusion,
    gaze,
    glasses,
    hair_tied,
    head_covering,
    head_geometry,
    head_pose,
    heavy_makeup,
    illumination,
    jewellery,
    mouth_closed,
    natural_colour,
    red_eye,
    sharpness,
    shoulders_level,
    single_face,
)
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

log = logging.getLogger(__name__)

CheckFn = Callable[[FaceAnalysis, Profile], CheckResult | None]
RegionFn = Callable[[FaceAnalysis, CheckResult], Region | None]

ORDER: tuple[str, ...] = (
    "single_face",
    "head_geometry",
    "head_pose",
    "head_covering",
    "glasses",
    "face_occlusion",
    "eyes_open",
    "gaze",
    "mouth_closed",
    "expression",
    "eyebrows_visible",
    "ears_visible",
    "jewellery",
    "clothing_not_blue",
    "heavy_makeup",
    "coloured_contacts",
    "shoulders_level",
    "hair_tied",
    "background",
    "illumination",
    "exposure",
    "sharpness",
    "red_eye",
    "natural_colour",
)

# Every check module, in the order their results are reported.
MODULES = (
    single_face,
    head_geometry,
    head_pose,
    head_covering,
    glasses,
    face_occlusion,
    eyes_open,
    gaze,
    mouth_closed,
    expression,
    eyebrows_visible,
    ears_visible,
    jewellery,
    clothing_not_blue,
    heavy_makeup,
    coloured_contacts,
    shoulders_level,
    hair_tied,
    background,
    illumination,
    exposure,
    sharpness,
    red_eye,
    natural_colour,
)

CHECKS: dict[str, CheckFn] = {m.ID: m.run for m in MODULES}

REGIONS: dict[str, RegionFn] = {m.ID: m.region for m in MODULES if hasattr(m, "region")}


def locate(a: FaceAnalysis, res: CheckResult) -> CheckResult:
    """The result with the place the check looked at, when its module names one and it is in the image."""
    fn = REGIONS.get(res.id)
    if fn is None or res.region is not None:
        return res
    try:
        box = fn(a, res)
    except Exception:  # an outline is a help, never a reason to lose the verdict
        log.exception("region of %s failed", res.id)
        return res
    return res if box is None else replace(res, region=box)
