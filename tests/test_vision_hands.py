"""The palm detector and face_occlusion's hand rule: a hand over the face fails, a bare face passes.

The decoding is checked on a real photo whose hand was located by eye (a held-out press photo labelled
covered in bench/press_labels.py); the hand over the face is that photo's hand, cut out by its skin and
pasted over the mouth and chin of a compliant booth still. Skipped when the shared photos are not present.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
import pytest

from kiosk.vision.checker import ComplianceChecker
from kiosk.vision.checks.face_occlusion import lower_face, share_on, skin
from kiosk.vision.detector import ssd_anchors
from kiosk.vision.hands import INPUT, STRIDES, Square, cut_square, face_square
from tests.helpers.paths import FACES
from tests.helpers.scenes import compliant_still

HAND_PHOTO = "celeba_wild_014106.jpg"  # 229x214; fingers at the lips, the fist beside the chin
HAND_BY_EYE = (160, 105, 212, 162)  # x0, y0, x1, y1 of the fist, looked at by eye
HAND_CUT = (150, 100, 212, 166)  # the part cut out for pasting: the fist and the fingers

needs_photos = pytest.mark.skipif(not (FACES / HAND_PHOTO).is_file(), reason=f"shared face photos not found at {FACES}")


def test_palm_anchors_are_the_graphs_2016() -> None:
    """SsdAnchorsCalculator for 192 px at strides 8, 16, 16, 16: 24x24 cells x 2 plus 12x12 cells x 6;
    the face detector's own anchors (128 px) are unchanged by the shared code."""
    palm = ssd_anchors(INPUT, STRIDES)
    assert palm.shape == (2016, 2)
    assert np.allclose(palm[0], (0.5 / 24, 0.5 / 24)) and np.allclose(palm[1152], (0.5 / 12, 0.5 / 12))
    assert ssd_anchors().shape == (896, 2)


def gradient(h: int, w: int) -> np.ndarray:
    ys, xs = np.mgrid[0:h, 0:w]
    return np.dstack([xs * 255 // w, ys * 255 // h, np.full((h, w), 200)]).astype(np.uint8)


def test_the_palm_tile_of_a_face_filling_a_12mp_still_is_the_same_picture() -> None:
    """A student too close: the square around the face leaves the 4056x3040 still on three sides. The
    tile is cut without padding the still at full resolution, and shows what padding would have shown."""
    still = gradient(3040, 4056)
    sq = Square(-300.0, -900.0, 4745.0)
    tile = cut_square(still, sq)
    padded = cv2.copyMakeBorder(still, 900, 4745 - 900 - 3040, 300, 4745 - 300 - 4056, cv2.BORDER_CONSTANT, value=0)
    reference = cv2.resize(padded, (INPUT, INPUT), interpolation=cv2.INTER_AREA)
    assert tile.shape == (INPUT, INPUT, 3)
    assert np.abs(tile.astype(int) - reference.astype(int)).mean() < 2.0
    lit = np.flatnonzero(tile[:, :, 2].max(axis=1) > 100)  # rows showing the still
    assert abs(lit[0] - 900 * INPUT / 4745) <= 1 and abs(lit[-1] + 1 - 3940 * INPUT / 4745) <= 1


def test_a_small_square_inside_the_image_is_only_resized() -> None:
    image = gradient(300, 400)
    tile = cut_square(image, Square(100.0, 50.0, 150.0))
    assert np.array_equal(tile, cv2.resize(image[50:200, 100:250], (INPUT, INPUT), interpolation=cv2.INTER_LINEAR))


@pytest.fixture(scope="module")
def checker() -> ComplianceChecker:
    return ComplianceChecker("chsi")


@needs_photos
def test_palm_box_is_where_the_hand_is_and_mirrors_with_the_photo(checker: ComplianceChecker) -> None:
    photo = cv2.imread(str(FACES / HAND_PHOTO))
    a = checker.analyse(photo)
    assert a.palms, "no palm found"
    x, y, w, h = a.palms[0].box
    cx, cy = x + w / 2, y + h / 2
    x0, y0, x1, y1 = HAND_BY_EYE
    assert x0 <= cx <= x1 and y0 <= cy <= y1, a.palms[0]
    assert 0.5 * 40 <= w <= 1.5 * 40  # the fist is about 40 px across
    # The mirrored photo: the same hand, mirrored (x decoding and anchor order agree).
    flipped = checker.analyser.palms.detect(photo[:, ::-1].copy(), face_square(_mirror_box(a.faces[0].box, photo)))
    assert flipped
    fx, fy, fw, fh = flipped[0].box
    assert abs((photo.shape[1] - (fx + fw / 2)) - cx) < 4 and abs(fy + fh / 2 - cy) < 4


def _mirror_box(box: tuple[float, float, float, float], image: np.ndarray) -> tuple[float, float, float, float]:
    x, y, w, h = box
    return (image.shape[1] - x - w, y, w, h)


@lru_cache(maxsize=1)
def _still(checker: ComplianceChecker) -> np.ndarray:
    img = compliant_still(checker.analyser, FACES)
    img.setflags(write=False)
    return img


def hand_over_chin(checker: ComplianceChecker) -> np.ndarray:
    """The photo's hand, cut out by its skin colour, scaled so the palm is 1.3 eye distances wide and
    pasted with its palm on the still's chin: fingers over the mouth, the fist over chin and jaw."""
    still = _still(checker).copy()
    a = checker.analyse(still)
    x0, y0, x1, y1 = HAND_CUT
    src = cv2.imread(str(FACES / HAND_PHOTO))[y0:y1, x0:x1]
    mask = cv2.morphologyEx(skin(src, 60).astype(np.uint8), cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    k = 1.3 * a.ied / 32.0
    hand = cv2.resize(src, None, fx=k, fy=k, interpolation=cv2.INTER_CUBIC)
    mask = cv2.resize(mask, (hand.shape[1], hand.shape[0]), interpolation=cv2.INTER_NEAREST).astype(bool)
    palm_centre = ((185.5 - x0) * k, (138.5 - y0) * k)
    tx, ty = a.pt(152)
    ox, oy = int(tx - palm_centre[0]), int(ty - palm_centre[1])
    region = still[oy : oy + hand.shape[0], ox : ox + hand.shape[1]]
    region[mask] = hand[mask]
    return still


@needs_photos
def test_a_hand_over_mouth_and_chin_fails_with_its_box(checker: ComplianceChecker) -> None:
    img = hand_over_chin(checker)
    res = checker.check(img).checks["face_occlusion"]
    assert not res.passed, res.value
    assert res.message.en == "Please keep your face uncovered" and res.message.zh == "请不要遮挡面部"
    # The review screen outlines the hand, which lies on the face below the eyes.
    assert res.region is not None
    assert share_on(res.region, lower_face(checker.analyse(img))) >= 0.3
    # Without the palm detector the same photo passes: the hand is skin, like the face.
    without = ComplianceChecker("chsi")
    without.profile.data["face_occlusion"]["min_palm_score"] = 1.01
    assert without.check(img).checks["face_occlusion"].passed


@needs_photos
def test_the_compliant_still_has_no_hand_and_passes(checker: ComplianceChecker) -> None:
    still = _still(checker)
    a = checker.analyse(still)
    assert "palm" in a.ms  # the still's pass looked for hands around the face
    assert all(p.score < 0.87 for p in a.palms)
    assert checker.check(still).checks["face_occlusion"].passed
