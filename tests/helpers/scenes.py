"""Booth stills the tests make from the shared face photos (never copied into the project)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from kiosk.demo.scene import BOOTH_BLUE_BGR, booth_scene
from tests.helpers.paths import FACES

# A frontal, level, well-lit press photo whose only fault is a blue top.
COMPLIANT_BUT_BLUE_TOP = "celeba_wild_009707.jpg"


def compliant_still(analyser, faces: Path, size: tuple[int, int] = (2028, 1520)) -> np.ndarray:
    """A still that meets the photo rules: the person above on the blue backdrop, top recoloured grey."""
    still = booth_scene(analyser, cv2.imread(str(faces / COMPLIANT_BUT_BLUE_TOP)), size, face_px=330)
    a = analyser.analyse(still)
    chin_y = int(a.pt(152)[1])
    hsv = cv2.cvtColor(still, cv2.COLOR_BGR2HSV)
    off_backdrop = np.linalg.norm(still.astype(np.int16) - np.array(BOOTH_BLUE_BGR, np.int16), axis=2) > 40
    blue = (hsv[..., 0] > 90) & (hsv[..., 0] < 135) & (hsv[..., 1] > 40)
    top = np.zeros(still.shape[:2], bool)
    top[chin_y + 20 :, :] = True
    shirt = top & blue & off_backdrop
    gray = cv2.cvtColor(still, cv2.COLOR_BGR2GRAY)
    still[shirt] = np.repeat(gray[shirt][:, None], 3, axis=1)
    return still


def portrait_still(analyser, name: str, size: tuple[int, int] = (2028, 1520)) -> np.ndarray:
    """The shared face photo ``name`` posed on the booth backdrop as a booth still (face 330 px wide), a
    fresh copy the caller may draw on; made once per photo and size."""
    return _portrait_still(analyser, name, size).copy()


@lru_cache(maxsize=8)
def _portrait_still(analyser, name: str, size: tuple[int, int]) -> np.ndarray:
    img = booth_scene(analyser, cv2.imread(str(FACES / name)), size, face_px=330)
    img.setflags(write=False)
    return img
