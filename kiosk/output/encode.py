"""The JPEG encoding of spec 1.2: baseline, 4:2:0, 300 dpi JFIF, no metadata, inside the file-size band.

Collection centres state the size as a band (``file_kb_min``-``file_kb_max``, KB = 1024 bytes) and a
minimum quality, so the quality is not fixed: a binary search over [quality_min, quality_max] finds the
highest quality whose file still fits under the maximum. Huffman tables are optimised (still baseline),
which buys a few quality steps at the same size. A plain picture that stays under the minimum even at
the top quality is kept, with a warning, because the minimum is only "generally" in the 2017 text; a
picture too noisy to fit even at the lowest quality is an error for staff (check ``file_output``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from kiosk.output import jfif

log = logging.getLogger(__name__)

KB = 1024


class EncodeError(Exception):
    """The picture cannot be written within the file rules (spec check ``file_output``)."""


@dataclass(frozen=True)
class EncodeRules:
    """File rules from the policy profile; defaults are the ``chsi`` values."""

    file_kb_min: float = 30
    file_kb_max: float = 40
    quality_min: int = 60
    quality_max: int = 95
    dpi: int = 300

    @classmethod
    def from_profile(cls, profile: Any) -> EncodeRules:
        return cls(
            file_kb_min=float(profile.get("file_kb_min")),
            file_kb_max=float(profile.get("file_kb_max")),
            quality_min=int(profile.get("jpeg_quality_min")),
            dpi=int(profile.get("dpi")),
        )


@dataclass(frozen=True)
class EncodedJpeg:
    data: bytes
    quality: int
    under_min: bool  # smaller than file_kb_min even at the top quality (kept, with a warning)

    @property
    def size_bytes(self) -> int:
        return len(self.data)

    @property
    def size_kb(self) -> float:
        return len(self.data) / KB


def encode_jpeg(image: np.ndarray, quality: int, dpi: int = 300) -> bytes:
    """One baseline 4:2:0 JPEG at a fixed quality with a clean JFIF header at ``dpi``."""
    params = [
        cv2.IMWRITE_JPEG_QUALITY,
        int(quality),
        cv2.IMWRITE_JPEG_OPTIMIZE,
        1,
        cv2.IMWRITE_JPEG_PROGRESSIVE,
        0,
        cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
        cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420,
    ]
    ok, buf = cv2.imencode(".jpg", image, params)
    if not ok:
        raise EncodeError("the JPEG encoder failed")
    return jfif.normalise(buf.tobytes(), dpi)


def encode_in_band(image: np.ndarray, rules: EncodeRules = EncodeRules()) -> EncodedJpeg:
    """The highest quality in [quality_min, quality_max] whose file is at most ``file_kb_max``."""
    limit = rules.file_kb_max * KB
    cache: dict[int, bytes] = {}

    def at(q: int) -> bytes:
        if q not in cache:
            cache[q] = encode_jpeg(image, q, rules.dpi)
        return cache[q]

    lo, hi = rules.quality_min, rules.quality_max
    if len(at(hi)) <= limit:
        best = hi
    else:
        if len(at(lo)) > limit:
            raise EncodeError(
                f"the picture is {len(at(lo)) / KB:.1f} KB even at quality {lo}, over the "
                f"{rules.file_kb_max:g} KB limit (unusually noisy still)"
            )
        # Invariant: quality lo fits, quality hi does not.
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if len(at(mid)) <= limit:
                lo = mid
            else:
                hi = mid
        best = lo
    data = at(best)
    under = len(data) < rules.file_kb_min * KB
    if under:
        log.warning(
            "registration photo is %.1f KB at quality %d, under the %g KB minimum; kept",
            len(data) / KB,
            best,
            rules.file_kb_min,
        )
    return EncodedJpeg(data, best, under)
