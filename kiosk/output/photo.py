"""The registration photo made from an accepted still: the spec-exact 480x640 JPEG.

The head is placed by the solver of photo-spec 1.5 (``kiosk.output``) from the geometry the checker
measured; the file follows 1.2 (baseline, 300 dpi, no metadata, size band). When no placement exists,
or no face was measured, ``GeometryError`` says which fix to ask for (a ``head_geometry`` failure for
the booth) instead of producing a photo that would be refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kiosk.output import GeometryError, HeadMeasure, OutputSettings, RegistrationPhoto, make_registration
from kiosk.vision.report import Report

OUT_W, OUT_H = 480, 640

__all__ = ["OUT_H", "OUT_W", "GeometryError", "PhotoFormatter", "registration_jpeg"]


@dataclass(frozen=True)
class PhotoFormatter:
    """The booth's photo formatter, bound to one profile's geometry and file rules."""

    settings: OutputSettings = field(default_factory=OutputSettings)

    @classmethod
    def from_profile(cls, profile: Any) -> PhotoFormatter:
        return cls(OutputSettings.from_profile(profile))

    def make(self, still: np.ndarray, report: Report) -> RegistrationPhoto:
        """The photo with its achieved geometry and file facts."""
        return make_registration(still, HeadMeasure.from_face(report.geometry), self.settings)

    def __call__(self, still: np.ndarray, report: Report) -> bytes:
        return self.make(still, report).jpeg


def registration_jpeg(still: np.ndarray, report: Report) -> bytes:
    """The registration JPEG under the default (``chsi``) rules; GeometryError when it cannot be placed."""
    return PhotoFormatter()(still, report)
