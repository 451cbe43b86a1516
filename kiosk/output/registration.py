"""The registration photo from a still and its head measurements: solve, resample, encode.

One call for the booth and the CLI, so both produce byte-for-byte the same file and report the same
achieved geometry (spec 1.5 step 6).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kiosk.output.encode import EncodedJpeg, EncodeRules, encode_in_band
from kiosk.output.render import as_bgr, crop_resize
from kiosk.vision.geometry import GeometryRules, HeadMeasure, Placement, solve


@dataclass(frozen=True)
class OutputSettings:
    """Geometry and file rules together, as one policy profile states them."""

    geometry: GeometryRules = field(default_factory=GeometryRules)
    encoding: EncodeRules = field(default_factory=EncodeRules)

    @classmethod
    def from_profile(cls, profile: Any) -> OutputSettings:
        return cls(GeometryRules.from_profile(profile), EncodeRules.from_profile(profile))


@dataclass(frozen=True)
class RegistrationPhoto:
    placement: Placement
    encoded: EncodedJpeg

    @property
    def jpeg(self) -> bytes:
        return self.encoded.data

    def to_dict(self) -> dict[str, Any]:
        """The achieved geometry and file facts, for logs, the upload's metadata and ``kiosk crop --json``."""
        p = self.placement
        return {
            "width": p.out_w,
            "height": p.out_h,
            "crop": {"x": p.x0, "y": p.y0, "width": p.width, "height": p.height},
            "geometry": p.achieved.to_dict(),
            "file_bytes": self.encoded.size_bytes,
            "file_kb": round(self.encoded.size_kb, 2),
            "quality": self.encoded.quality,
            "under_min_size": self.encoded.under_min,
        }


def make_registration(
    still: np.ndarray, head: HeadMeasure, settings: OutputSettings = OutputSettings()
) -> RegistrationPhoto:
    """The 480x640 registration JPEG; GeometryError or EncodeError when the rules cannot be met."""
    still = as_bgr(still)
    placement = solve(head, still.shape[1], still.shape[0], settings.geometry)
    image = crop_resize(still, placement.rect, (placement.out_w, placement.out_h))
    return RegistrationPhoto(placement, encode_in_band(image, settings.encoding))
