"""Face attributes (glasses, hat, jewellery, heavy make-up, fringe, open mouth, smile) from one small
trained classifier.

The model sees one aligned crop per still, cut from the shared analysis: level eyes, 4.4 eye distances
wide and 5.1 tall, from above the forehead (hat brim) down past the chin (necklace), so each attribute's
region (eye band, head top, brow band, face, ears and neck) sits at the same place in every crop; under
it the eye band once more, magnified, because glasses rims are thin at the face's scale. The
same ``attribute_crop`` builds the training crops (``models/train_attributes.py``), so the booth judges
exactly what the model was trained on. One inference per still; the checks read ``FaceAnalysis.attributes``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.interpreter import TfliteModel
from kiosk.vision.roi import RotatedRect, warp

# Output order of the model (models/README.md); each is a sigmoid probability that the attribute is present.
HEADS: tuple[str, ...] = ("glasses", "hat", "jewellery", "heavy_makeup", "bangs", "mouth_open", "smiling")
# Judge the crop and its mirror image and average the probabilities: a face and its mirror show the same
# attributes, and the two passes' errors partly cancel (validation identities, models/README.md).
MIRROR = True
CROP_W = 96
FACE_H = 112  # the face part of the crop: 4.4 x 5.1 eye distances
BAND_H = 32  # below it, the eye band again at 1.8x the scale: rims and lenses are a few pixels wide
CROP_H = FACE_H + BAND_H
CROP_IEDS_W = 4.4  # face part width in eye distances
TOP_IEDS = 1.9  # face part top above the eye line, in eye distances
BAND_IEDS_W = 2.4  # eye band width in eye distances
BAND_TOP_IEDS = 0.45  # eye band top above the eye line
MODEL_FILES = {"int8": "attributes_int8.tflite", "float": "attributes_float.tflite"}


def _level_rect(a: FaceAnalysis, width_ieds: float, out_w: int, out_h: int, top_ieds: float) -> RotatedRect:
    """A rectangle with the eye line level, centred between the eyes, its top ``top_ieds`` above them."""
    right, left = a.eye_centres
    ied = max(a.ied, 1.0)
    angle = math.atan2(float(left[1] - right[1]), float(left[0] - right[0]))
    width = width_ieds * ied
    height = width * out_h / out_w
    down = np.array([-math.sin(angle), math.cos(angle)])
    centre = (right + left) / 2 + down * (height / 2 - top_ieds * ied)
    return RotatedRect(float(centre[0]), float(centre[1]), width, height, angle)


def crop_rect(a: FaceAnalysis) -> RotatedRect:
    """The face part's rotated rectangle in source pixels."""
    return _level_rect(a, CROP_IEDS_W, CROP_W, FACE_H, TOP_IEDS)


def attribute_crop(a: FaceAnalysis) -> np.ndarray:
    """The model input for the analysed face: CROP_H x CROP_W BGR uint8, the face (borders replicated)
    above a magnified eye band."""
    coarse = (a.work, a.work_scale) if a.work is not None else None
    face = warp(a.image, crop_rect(a), CROP_W, FACE_H, coarse)
    band = warp(a.image, _level_rect(a, BAND_IEDS_W, CROP_W, BAND_H, BAND_TOP_IEDS), CROP_W, BAND_H, coarse)
    return np.vstack([face, band])


def dequantise(out: np.ndarray) -> np.ndarray:
    """Probabilities from the model's output tensor. A uint8 (int8) logistic output has TFLite's fixed
    quantisation, scale 1/256 and zero point 0 (-128), which the training script verifies."""
    out = out.reshape(-1)
    if out.dtype == np.uint8:
        return out.astype(np.float32) / 256.0
    if out.dtype == np.int8:
        return (out.astype(np.float32) + 128.0) / 256.0
    return out.astype(np.float32)


class AttributeModel:
    """The attribute classifier; ``kind`` is "int8" (default, for the Pi) or "float" (the reference)."""

    def __init__(self, models_dir: str | Path, kind: str = "int8", num_threads: int = 2) -> None:
        if kind not in MODEL_FILES:
            raise ValueError(f"attribute model kind must be one of {sorted(MODEL_FILES)}, not {kind!r}")
        self.kind = kind
        self.model = TfliteModel(Path(models_dir) / MODEL_FILES[kind], num_threads)

    def predict_crop(self, bgr: np.ndarray) -> dict[str, float]:
        """Probabilities for one CROP_H x CROP_W BGR crop. The model takes RGB pixels 0-255 as they are
        (uint8 for the int8 model, float32 for the float one): scaling is inside the model."""
        rgb = np.ascontiguousarray(bgr[..., ::-1])[None]
        probs = dequantise(self.model.run(rgb.astype(np.float32))[0])
        if MIRROR:
            mirrored = np.ascontiguousarray(rgb[:, :, ::-1])
            probs = (probs + dequantise(self.model.run(mirrored.astype(np.float32))[0])) / 2
        return {name: round(float(p), 4) for name, p in zip(HEADS, probs, strict=True)}

    def predict(self, a: FaceAnalysis) -> dict[str, float] | None:
        """Probabilities for the analysed face, or None without a face mesh."""
        if a.mesh is None:
            return None
        return self.predict_crop(attribute_crop(a))
