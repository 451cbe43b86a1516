"""JPEG header hygiene: exactly one JFIF APP0 with the print density, and no other metadata.

The registration file may carry nothing but the picture (spec 1.2): no EXIF, no ICC profile, no
comments, no thumbnails. The encoder writes a JFIF APP0 with an aspect-only density (units 0, 1x1), so
the density bytes are rewritten to dots per inch; every other APPn and COM segment before the scan is
dropped. The entropy-coded data is copied untouched.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

SOI = 0xD8
SOS = 0xDA
APP0 = 0xE0
COM = 0xFE
_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM and RSTn carry no length


@dataclass(frozen=True)
class Segment:
    marker: int
    payload: bytes  # without the marker and length bytes


def segments(data: bytes) -> tuple[list[Segment], bytes]:
    """The header segments up to and including SOS, and the rest of the file (scan data and EOI)."""
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG file (no SOI)")
    out: list[Segment] = []
    i = 2
    while i < len(data):
        if data[i] != 0xFF:
            raise ValueError(f"bad JPEG marker at byte {i}")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in _STANDALONE:
            out.append(Segment(marker, b""))
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        out.append(Segment(marker, data[i + 4 : i + 2 + length]))
        i += 2 + length
        if marker == SOS:
            return out, data[i:]
    raise ValueError("JPEG file has no scan")


def jfif_app0(dpi: int) -> bytes:
    """A JFIF 1.01 APP0 payload: density in dots per inch, no thumbnail."""
    return b"JFIF\x00" + struct.pack(">BBBHHBB", 1, 1, 1, dpi, dpi, 0, 0)


def normalise(data: bytes, dpi: int) -> bytes:
    """The same JPEG with one JFIF APP0 at ``dpi`` and every other APPn and COM segment removed."""
    segs, rest = segments(data)
    body = [s for s in segs if not (0xE0 <= s.marker <= 0xEF or s.marker == COM)]
    parts = [b"\xff\xd8", _encode(Segment(APP0, jfif_app0(dpi)))]
    parts += [_encode(s) for s in body]
    return b"".join(parts) + rest


def density(data: bytes) -> tuple[int, int, int] | None:
    """(units, x, y) of the JFIF APP0, or None when there is none."""
    for seg in segments(data)[0]:
        if seg.marker == APP0 and seg.payload[:5] == b"JFIF\x00":
            units, x, y = struct.unpack(">BHH", seg.payload[7:12])
            return units, x, y
    return None


def _encode(seg: Segment) -> bytes:
    if seg.marker in _STANDALONE:
        return bytes((0xFF, seg.marker))
    return bytes((0xFF, seg.marker)) + struct.pack(">H", len(seg.payload) + 2) + seg.payload
