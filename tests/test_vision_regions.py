"""Where each check looked: the regions the review screen outlines must sit on the right part of the face.

A box around the brows that sits on the chin would send the student to fix the wrong thing, so these
tests place each region against the face mesh of a real portrait in a booth-like scene."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from kiosk.demo.scene import booth_scene
from kiosk.vision import landmarks as lm
from kiosk.vision.checker import ComplianceChecker
from kiosk.vision.checks import REGIONS, ears_visible, locate
from kiosk.vision.report import CheckResult, Message
from tests.helpers.paths import FACES

BASE = "celeba_wild_019167.jpg"
SIZE = (2028, 1520)

pytestmark = pytest.mark.skipif(not (FACES / BASE).is_file(), reason=f"shared face photos not found at {FACES}")


@pytest.fixture(scope="module")
def checker() -> ComplianceChecker:
    return ComplianceChecker("chsi")


@pytest.fixture(scope="module")
def image(checker: ComplianceChecker) -> np.ndarray:
    return booth_scene(checker.analyser, cv2.imread(str(FACES / BASE)), SIZE, face_px=330, eye_at=(0.5, 0.42))


@pytest.fixture(scope="module")
def analysis(checker: ComplianceChecker, image: np.ndarray):
    return checker.analyse(image)


@pytest.fixture(scope="module")
def report(checker: ComplianceChecker, image: np.ndarray):
    return checker.check(image)


def contains(box, xy, slack: float = 0.0) -> bool:
    x, y, w, h = box
    return x - slack <= xy[0] <= x + w + slack and y - slack <= xy[1] <= y + h + slack


def test_every_region_lies_inside_the_image(report) -> None:
    located = [c for c in report.checks.values() if c.region is not None]
    assert len(located) >= 15, [c.id for c in report.checks.values() if c.region is None]
    for c in located:
        x, y, w, h = c.region
        assert x >= 0 and y >= 0 and w >= 1 and h >= 1 and x + w <= SIZE[0] + 1e-6 and y + h <= SIZE[1] + 1e-6, c.id
        assert c.to_dict()["region"] == [round(v, 1) for v in c.region]


def test_regions_sit_on_the_part_of_the_face_they_judge(report, analysis) -> None:
    a = analysis
    eyes = [a.pt(i) for i in (lm.RIGHT_EYE_OUTER, lm.LEFT_EYE_OUTER)]
    brows = [a.pt(i) for i in lm.RIGHT_BROW + lm.LEFT_BROW]
    chin, nose = a.pt(lm.CHIN), a.pt(lm.NOSE_TIP)
    region = {cid: c.region for cid, c in report.checks.items()}
    for cid in ("glasses", "eyes_open", "gaze", "sharpness"):
        assert all(contains(region[cid], e) for e in eyes), cid
        assert not contains(region[cid], chin), cid
    assert all(contains(region["glasses"], b) for b in brows)
    assert all(contains(region["eyebrows_visible"], b) for b in brows)
    assert region["eyebrows_visible"][1] + region["eyebrows_visible"][3] < nose[1]
    assert contains(region["mouth_closed"], a.pt(lm.UPPER_INNER_LIP)) and not contains(region["mouth_closed"], eyes[0])
    assert region["clothing_not_blue"][1] > chin[1] and region["shoulders_level"][1] >= chin[1] - 1
    assert contains(region["head_pose"], nose) and contains(region["head_geometry"], chin, slack=1)
    jewel = region["jewellery"]
    assert jewel[0] < a.pt(lm.CHEEK_RIGHT)[0] and jewel[0] + jewel[2] > a.pt(lm.CHEEK_LEFT)[0]
    assert jewel[1] + jewel[3] > chin[1]


def test_ear_region_is_beside_the_face_on_the_side_with_less_ear(report, analysis) -> None:
    a = analysis
    res = report.checks["ears_visible"]
    right_x, left_x = a.pt(lm.CHEEK_RIGHT)[0], a.pt(lm.CHEEK_LEFT)[0]
    image_left = ears_visible.region(a, replace(res, value={"right": 0.1, "left": 0.6}))
    image_right = ears_visible.region(a, replace(res, value={"right": 0.6, "left": 0.1}))
    assert image_left is not None and image_right is not None
    assert image_left[0] + image_left[2] <= right_x + 0.1 * a.ied  # outward of the image-left face edge
    assert image_right[0] >= left_x - 0.1 * a.ied
    eye_y = a.pupil_mid[1]
    for box in (image_left, image_right):
        assert box[1] <= eye_y + 0.2 * a.ied and box[1] + box[3] >= a.pt(lm.NOSE_TIP)[1] - 0.3 * a.ied


def test_a_broken_region_never_costs_the_verdict(analysis, monkeypatch) -> None:
    res = CheckResult("glasses", False, 0.9, Message("请摘下眼镜", "Please remove your glasses."))

    def broken(a, r):
        raise RuntimeError("no")

    monkeypatch.setitem(REGIONS, "glasses", broken)
    assert locate(analysis, res) == res
