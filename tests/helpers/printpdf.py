"""The print PDF as a PDF reader sees it (pypdf, strict): pages, their size, and every image drawn on them.

The booth writes its PDF by hand (kiosk/output/pdf.py), so the tests read it back with an independent
parser instead of matching bytes: a file pypdf refuses, or an image drawn somewhere other than where
the tests expect, fails them.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

import cv2
import numpy as np
from pypdf import PdfReader

Matrix = tuple[float, float, float, float, float, float]


@dataclass(frozen=True)
class PlacedImage:
    """One image XObject as drawn: its pixels, and the page rectangle (points) it covers."""

    name: str
    width_px: int
    height_px: int
    filters: tuple[str, ...]
    rect_pt: tuple[float, float, float, float]  # x, y, width, height on the page
    pixels: np.ndarray  # BGR, decoded from the embedded stream

    @property
    def dpi(self) -> tuple[float, float]:
        """Pixels per inch as printed, across and down."""
        return self.width_px / (self.rect_pt[2] / 72), self.height_px / (self.rect_pt[3] / 72)


@dataclass(frozen=True)
class PrintPage:
    width_pt: float
    height_pt: float
    images: list[PlacedImage]


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    """m then n (PDF's row-vector convention: ``cm`` pre-multiplies the current matrix)."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u)


class _Complaints(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def read_print_pdf(data: bytes) -> list[PrintPage]:
    """Every page of ``data`` with the images its content stream draws (``Do``), placed by ``cm``.

    pypdf repairs some faults (a wrong cross-reference offset, a broken root) with only a logged
    warning; any such warning fails here, so what passes is a file readers need not repair.
    """
    complaints = _Complaints()
    log = logging.getLogger("pypdf")
    log.addHandler(complaints)
    try:
        pages = _read(data)
    finally:
        log.removeHandler(complaints)
    assert complaints.messages == [], f"pypdf had to repair the file: {complaints.messages}"
    return pages


def _read(data: bytes) -> list[PrintPage]:
    reader = PdfReader(io.BytesIO(data), strict=True)
    pages = []
    for page in reader.pages:
        box = page.mediabox
        assert (float(box.left), float(box.bottom)) == (0.0, 0.0), f"page box does not start at 0 0: {box}"
        xobjects = page["/Resources"].get_object().get("/XObject", {})
        matrix: Matrix = (1, 0, 0, 1, 0, 0)
        stack: list[Matrix] = []
        images = []
        for operands, operator in page.get_contents().operations:
            if operator == b"q":
                stack.append(matrix)
            elif operator == b"Q":
                matrix = stack.pop()
            elif operator == b"cm":
                matrix = _multiply(tuple(float(v) for v in operands), matrix)  # type: ignore[arg-type]
            elif operator == b"Do":
                name = str(operands[0])
                image = xobjects[name].get_object()
                assert image["/Subtype"] == "/Image", f"{name} is not an image"
                a, b, c, d, e, f = matrix
                assert b == 0 and c == 0, f"{name} is rotated or skewed: {matrix}"
                filters = image.get("/Filter")
                names = tuple(str(x) for x in filters) if isinstance(filters, list) else (str(filters),)
                raw = np.frombuffer(image.get_data(), np.uint8)  # DCTDecode passes the JPEG through as is
                pixels = cv2.imdecode(raw, cv2.IMREAD_COLOR)
                assert pixels is not None, f"{name} does not decode"
                images.append(
                    PlacedImage(name, int(image["/Width"]), int(image["/Height"]), names, (e, f, a, d), pixels)
                )
        pages.append(PrintPage(float(box.width), float(box.height), images))
    return pages
