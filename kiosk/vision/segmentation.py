"""Person mask from MediaPipe's selfie segmentation (general model, 256x256 input).

The mask gives the crown (top of the hair), the shoulders, the clothing region and, by its complement,
the background. The model squeezes the whole frame into 256x256 without keeping the aspect ratio, as
MediaPipe's graph does; the caller passes a downscaled copy, and gets a float mask of that copy's size.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from kiosk.vision.interpreter import TfliteModel


class PersonSegmenter:
    def __init__(self, model_path: str | Path, num_threads: int = 2) -> None:
        self.model = TfliteModel(model_path, num_threads)

    def run(self, rgb: np.ndarray) -> np.ndarray:
        """Person probability in [0, 1], float32, same height and width as ``rgb``."""
        w_in, h_in = self.model.input_size
        small = cv2.resize(rgb, (w_in, h_in), interpolation=cv2.INTER_AREA)
        (out,) = self.model.run((small.astype(np.float32) / 255.0)[None])
        mask = np.clip(out.reshape(h_in, w_in), 0.0, 1.0).astype(np.float32)
        return cv2.resize(mask, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_LINEAR)
