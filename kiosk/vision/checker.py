"""ComplianceChecker: the booth's Checker. One analysis pass, then every check of the profile.

Models are loaded once per checker. ``check`` judges a full-resolution still and never raises on odd
pixels (an exception inside a check becomes a failed check with the error as its value, and is logged);
``live_hints`` is the fast pass on preview frames (detection and mesh only) for posing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from kiosk.vision.analysis import Analyser, FaceAnalysis, ModelFiles, crown_from_mesh
from kiosk.vision.attributes import AttributeModel
from kiosk.vision.calibration import Calibration, calibrated
from kiosk.vision.checks import CHECKS, ORDER, gaze, head_pose, locate, single_face
from kiosk.vision.crop import GeometryRules, solve
from kiosk.vision.messages import message
from kiosk.vision.model_dir import models_dir as find_models_dir
from kiosk.vision.profiles import Profile, load_profile
from kiosk.vision.report import CheckResult, FaceGeometry, Message, Report

log = logging.getLogger(__name__)


def geometry_rules(p: Profile, max_scale: float | None = None) -> GeometryRules:
    """The profile's placement rules; ``max_scale`` overrides the no-upscaling limit (preview frames)."""
    rules = GeometryRules.from_profile(p)
    return rules if max_scale is None else replace(rules, max_scale=max_scale)


class ComplianceChecker:
    """Judges stills against a policy profile (``chsi``, ``chsi-no-glasses``, ...).

    ``preview_to_still`` is how many still pixels one preview pixel spans (4056 / 1280 for the Pi HQ
    camera's full-width preview); live hints use it to apply the no-upscaling rule to the still.
    """

    def __init__(
        self,
        profile_name: str = "chsi",
        models_dir: str | Path | None = None,
        num_threads: int = 2,
        preview_to_still: float = 4056 / 1280,
        calibration: Calibration | None = None,
    ) -> None:
        # This booth's measured backdrop colour and pose zero replace the profile's defaults.
        self.profile: Profile = calibrated(load_profile(profile_name), calibration)
        self.profile_name = profile_name
        self.models_dir = find_models_dir(models_dir)
        self.analyser = Analyser(ModelFiles.in_dir(self.models_dir), num_threads)
        self.attributes = AttributeModel(self.models_dir, str(self.profile.get("attributes.model")), num_threads)
        self.rules = geometry_rules(self.profile)
        self.preview_to_still = preview_to_still

    def apply_calibration(self, calibration: Calibration) -> None:
        """Use a new measurement from now on (the staff console's calibrate button)."""
        self.profile = calibrated(load_profile(self.profile_name), calibration)
        self.rules = geometry_rules(self.profile)

    def analyse(self, image: np.ndarray) -> FaceAnalysis:
        p = self.profile
        return self.analyser.analyse(
            image, self.rules, float(p.get("single_face.min_score")), float(p.get("single_face.min_presence"))
        )

    def check(self, image: np.ndarray) -> Report:
        t0 = time.perf_counter()
        try:
            a = self.analyse(image)
        except ValueError as exc:  # not an image at all (empty, wrong shape)
            log.warning("cannot analyse image: %s", exc)
            unusable = CheckResult("single_face", False, 1.0, message("single_face", "none"), {"error": str(exc)})
            return Report({"single_face": unusable}, (time.perf_counter() - t0) * 1000, None, ORDER)
        a.attributes = self.attributes.predict(a)  # one classifier pass, read by several checks
        results: dict[str, CheckResult] = {}
        for cid, fn in CHECKS.items():
            try:
                res = fn(a, self.profile)
                if res is not None:
                    res = locate(a, res)
            except Exception as exc:  # a check must not take the booth down; log and fail it
                log.exception("check %s failed", cid)
                res = CheckResult(cid, False, 1.0, Message("", ""), {"error": type(exc).__name__})
            if res is not None:
                results[cid] = res
        ordered = {cid: results[cid] for cid in ORDER if cid in results}
        return Report(ordered, (time.perf_counter() - t0) * 1000, self._geometry(a), ORDER)

    @staticmethod
    def _geometry(a: FaceAnalysis) -> FaceGeometry | None:
        if not a.faces:
            return None
        box = a.faces[0].box
        if a.mesh is None:
            return FaceGeometry(box=box)
        mid = a.pupil_mid
        crop = a.crop if a.crop is not None and a.crop.problem is None else None
        return FaceGeometry(
            box=box,
            eye_mid=(float(mid[0]), float(mid[1])),
            crown_y=a.crown_y,
            chin_y=float(a.pt(152)[1]),
            face_width=a.face_width,
            roll_deg=a.pose.roll if a.pose else None,
            crop=crop.rect if crop else None,
            scale=crop.scale if crop else None,
        )

    def live_hints(self, preview_bgr: np.ndarray) -> list[Message]:
        """What the student should change now, most important first (detection and mesh only)."""
        p = self.profile

        def fast_pass(min_face_share: float) -> FaceAnalysis:
            return self.analyser.analyse(
                preview_bgr,
                min_score=float(p.get("single_face.min_score")),
                min_presence=float(p.get("single_face.min_presence")),
                segment=False,
                refine=False,
                work_side=640,
                min_face_share=min_face_share,
            )

        try:
            # Faces the booth can use fill at least 8 % of the preview width; only when none is found
            # is the finer (twice as slow) pass run, to tell "come closer" from "no one there".
            a = fast_pass(0.08)
            if not a.faces:
                a = fast_pass(0.04)
        except ValueError:
            return [message("single_face", "none")]
        hints: list[Message] = []
        sf = single_face.run(a, p)
        if not sf.passed:
            return [sf.message]
        if a.mesh is None:
            return [message("single_face", "none")]
        mid = a.pupil_mid
        w, h = a.size
        rules = geometry_rules(p, max_scale=float(p.get("geometry.max_scale")) * self.preview_to_still)
        placed = solve(a.face_width, float(mid[1]), float(mid[0]), crown_from_mesh(a), w, h, rules)
        if placed.problem:
            hints.append(message("head_geometry", placed.problem))
        for fn in (head_pose.hint, gaze.run):
            res = fn(a, p)
            if res is not None and not res.passed:
                hints.append(res.message)
        return hints
