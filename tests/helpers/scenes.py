"""Booth stills the tests make from the shared face photos (never copied into the project)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from kiosk.demo.scene import BOOTH_BLUE_BGR, booth_scene

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
