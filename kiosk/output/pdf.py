"""A one-page PDF around one JPEG, so the sheet can go to any print service at its true paper size.

The JPEG is embedded as-is (DCTDecode, no re-encoding) and drawn over the whole page; the page size
comes from the sheet's millimetres, so a 6-inch sheet prints at 100 % without scaling dialogs. The file
is small enough to write by hand, which keeps a PDF library off the booth.
"""

from __future__ import annotations

from kiosk.output.jfif import SOS, segments

PT_PER_MM = 72 / 25.4


def jpeg_size(data: bytes) -> tuple[int, int, int]:
    """(width, height, components) from the JPEG's SOFn header."""
    for seg in segments(data)[0]:
        if 0xC0 <= seg.marker <= 0xCF and seg.marker not in (0xC4, 0xC8, 0xCC):
            p = seg.payload
            return int.from_bytes(p[3:5], "big"), int.from_bytes(p[1:3], "big"), p[5]
        if seg.marker == SOS:
            break
    raise ValueError("JPEG has no frame header")


def jpeg_page_pdf(jpeg: bytes, width_mm: float, height_mm: float) -> bytes:
    """A PDF of one page ``width_mm`` x ``height_mm`` showing ``jpeg`` edge to edge."""
    w, h, comps = jpeg_size(jpeg)
    colour = {1: "/DeviceGray", 3: "/DeviceRGB", 4: "/DeviceCMYK"}[comps]
    pw, ph = _num(width_mm * PT_PER_MM), _num(height_mm * PT_PER_MM)
    content = f"q {pw} 0 0 {ph} 0 0 cm /Im0 Do Q".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {pw} {ph}] "
        f"/Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>".encode("ascii"),
        f"<< /Type /XObject /Subtype /Image /Width {w} /Height {h} /ColorSpace {colour} "
        f"/BitsPerComponent 8 /Filter /DCTDecode /Length {len(jpeg)} >>\nstream\n".encode("ascii")
        + jpeg
        + b"\nendstream",
        f"<< /Length {len(content)} >>\nstream\n".encode("ascii") + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode("ascii") + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii")
    out += b"".join(f"{off:010d} 00000 n \n".encode("ascii") for off in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode("ascii")
    return bytes(out)


def _num(value: float) -> str:
    """A PDF number: whole points stay whole, the rest get four decimals."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text or "0"
