"""eyes_open judges each eye on its own: both eyes shut fail, half-shut (sleepy) eyes fail, and one shut
eye (a wink) fails while the other is open. Real photos of people asked to face the camera
(shared/data/frontal_orl, some with their eyes shut); the winks are made here from them, by pasting a
shut eye of one photo onto an open-eyed photo of the same person. Skipped without the shared photos.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from kiosk.demo.scene import wink
from kiosk.vision.checker import ComplianceChecker
from kiosk.vision.checks.eyes_open import iris_contrast
from tests.helpers.paths import FRONTAL as ORL

pytestmark = pytest.mark.skipif(not (ORL / "orl_s11_09.png").is_file(), reason=f"frontal photos not found at {ORL}")


@pytest.fixture(scope="module")
def checker() -> ComplianceChecker:
    return ComplianceChecker("chsi")


def photo(name: str) -> np.ndarray:
    img = cv2.imread(str(ORL / f"orl_{name}.png"))
    assert img is not None
    return img


@pytest.mark.parametrize("name", ["s11_06", "s11_07", "s36_02", "s27_03", "s27_07"])
def test_open_eyes_pass(checker: ComplianceChecker, name: str) -> None:
    res = checker.check(photo(name)).checks["eyes_open"]
    assert res.passed, res.value


@pytest.mark.parametrize("name", ["s11_09", "s36_05", "s8_07"])
def test_shut_eyes_fail(checker: ComplianceChecker, name: str) -> None:
    res = checker.check(photo(name)).checks["eyes_open"]
    assert not res.passed, res.value
    assert res.message.en == "Please keep your eyes open" and res.message.zh == "请自然睁开双眼"


def test_half_shut_sleepy_eyes_fail(checker: ComplianceChecker) -> None:
    res = checker.check(photo("s3_05")).checks["eyes_open"]  # lids down over the pupils
    assert not res.passed, res.value


@pytest.mark.parametrize(("open_", "shut"), [("s11_06", "s11_09"), ("s36_02", "s36_05")])
@pytest.mark.parametrize("side", ["right", "left"])
def test_one_shut_eye_fails(checker: ComplianceChecker, open_: str, shut: str, side: str) -> None:
    img = wink(checker.analyser, photo(open_), photo(shut), side)
    assert img is not None
    res = checker.check(img).checks["eyes_open"]
    assert not res.passed, res.value
    other = "left" if side == "right" else "right"
    assert res.value[side] < res.value[other]


def test_pasting_an_open_eye_changes_nothing(checker: ComplianceChecker) -> None:
    """The paste itself does not fail a photo: an open eye pasted the same way passes."""
    img = wink(checker.analyser, photo("s11_06"), photo("s11_07"), "left")
    assert img is not None
    res = checker.check(img).checks["eyes_open"]
    assert res.passed, res.value


@pytest.mark.parametrize(("open_", "shut"), [("s27_07", "s27_05"), ("s27_03", "s27_09")])
def test_wink_whose_shut_eye_reads_a_little_open_fails(checker: ComplianceChecker, open_: str, shut: str) -> None:
    """Behind glasses the shut eye's lids read 0.7-0.75 of the open eye's opening, which passed on the
    opening ratio alone; the shut eye shows no iris beside it, and that fails the pair."""
    img = wink(checker.analyser, photo(open_), photo(shut), "left")
    assert img is not None
    res = checker.check(img).checks["eyes_open"]
    assert not res.passed, res.value
    assert res.value["ratio"] >= 0.7  # the opening ratio alone would pass it
    assert res.value["contrast_ratio"] < 0.25
    assert res.message.en == "Please keep your eyes open"


@pytest.mark.parametrize(("open_", "shut"), [("s11_06", "s11_09"), ("s36_02", "s36_05"), ("s27_07", "s27_05")])
def test_an_open_eye_shows_its_iris_and_a_shut_one_does_not(checker: ComplianceChecker, open_: str, shut: str) -> None:
    """The contrast between iris and sclera along the lid midline: open eyes read far above shut ones."""
    a_open = checker.analyser.analyse(photo(open_), segment=False)
    a_shut = checker.analyser.analyse(photo(shut), segment=False)
    for which in (0, 1):
        c_open, c_shut = iris_contrast(a_open, which), iris_contrast(a_shut, which)
        assert c_open is not None and c_shut is not None
        assert c_open > 0.4 and c_shut < 0.3 and c_open > 2 * c_shut, (which, c_open, c_shut)
