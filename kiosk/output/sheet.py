"""The 6-inch print sheet of spec section 2: four 2-inch and eight 1-inch prints with cut marks.

The 480x640 file at 300 dpi matches no print size, so every print is rendered from the full-resolution
still: the registration photo's crop rectangle is scaled to the print's height and its extra width
trimmed equally on both sides (3:4 is wider than 5:7), so each print shows the head exactly as the
registration photo does. The cut marks are 1-px grey lines on every print edge, extended across the
gutters; they are drawn first and the prints pasted on top, so a mark is visible only in the gutters
and lies exactly on the print's outermost pixel row or column.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from kiosk.output.encode import encode_jpeg
from kiosk.output.pdf import jpeg_page_pdf
from kiosk.output.render import as_bgr, crop_resize


@dataclass(frozen=True)
class PrintSize:
    name: str
    width_mm: float
    height_mm: float
    width_px: int  # at the sheet's dpi, upright
    height_px: int


TWO_INCH = PrintSize("2inch", 35.0, 49.0, 413, 579)
ONE_INCH = PrintSize("1inch", 25.0, 35.0, 295, 413)


@dataclass(frozen=True)
class Slot:
    """Where one print goes: top-left corner on the sheet, and whether it is turned 90 degrees."""

    size: PrintSize
    x: int
    y: int
    turned: bool = False

    @property
    def w(self) -> int:
        return self.size.height_px if self.turned else self.size.width_px

    @property
    def h(self) -> int:
        return self.size.width_px if self.turned else self.size.height_px

    @property
    def rect(self) -> tuple[int, int, int, int]:
        return (self.x, self.y, self.w, self.h)


@dataclass(frozen=True)
class SheetLayout:
    width_px: int
    height_px: int
    dpi: int
    slots: tuple[Slot, ...]
    mark_px: int = 14  # how far a cut mark runs past each print corner (the gutter)

    @property
    def width_mm(self) -> float:
        return self.width_px / self.dpi * 25.4

    @property
    def height_mm(self) -> float:
        return self.height_px / self.dpi * 25.4


# Spec section 2: landscape 1800x1200 at 300 dpi, 14-px gutters; two 1-inch prints turned to fit eight.
SIX_INCH = SheetLayout(
    1800,
    1200,
    300,
    (
        Slot(TWO_INCH, 14, 14),
        Slot(TWO_INCH, 441, 14),
        Slot(TWO_INCH, 14, 607),
        Slot(TWO_INCH, 441, 607),
        Slot(ONE_INCH, 868, 19),
        Slot(ONE_INCH, 1177, 19),
        Slot(ONE_INCH, 1486, 19),
        Slot(ONE_INCH, 868, 451),
        Slot(ONE_INCH, 1177, 451),
        Slot(ONE_INCH, 1486, 451),
        Slot(ONE_INCH, 868, 883, turned=True),
        Slot(ONE_INCH, 1295, 883, turned=True),
    ),
)

PAPER = (255, 255, 255)
MARK = (128, 128, 128)


def print_rect(crop: tuple[int, int, int, int], width_px: int, height_px: int) -> tuple[int, int, int, int]:
    """The source rectangle of one print: the registration crop at the print's height, trimmed equally.

    When the print is narrower than the crop (5:7 against 3:4) the width is trimmed on both sides; a
    print wider than the crop would instead lose equal strips top and bottom.
    """
    x, y, w, h = crop
    if width_px * h <= w * height_px:
        new_w = max(1, round(h * width_px / height_px))
        return (x + (w - new_w) // 2, y, new_w, h)
    new_h = max(1, round(w * height_px / width_px))
    return (x, y + (h - new_h) // 2, w, new_h)


def render_print(still: np.ndarray, crop: tuple[int, int, int, int], size: PrintSize) -> np.ndarray:
    """One upright print from the full-resolution still."""
    rect = print_rect(crop, size.width_px, size.height_px)
    return crop_resize(still, rect, (size.width_px, size.height_px))


def cut_mark_lines(layout: SheetLayout) -> list[tuple[int, int, int, int]]:
    """Every mark as (x0, y0, x1, y1), inclusive and clipped to the sheet: each print edge, extended."""
    lines: list[tuple[int, int, int, int]] = []
    m = layout.mark_px
    for slot in layout.slots:
        left, top, right, bottom = slot.x, slot.y, slot.x + slot.w - 1, slot.y + slot.h - 1
        for y in (top, bottom):
            lines.append((left - m, y, right + m, y))
        for x in (left, right):
            lines.append((x, top - m, x, bottom + m))
    return [_clip(line, layout.width_px, layout.height_px) for line in lines]


def build_sheet(still: np.ndarray, crop: tuple[int, int, int, int], layout: SheetLayout = SIX_INCH) -> np.ndarray:
    """The whole sheet as a BGR image: white paper, cut marks, then the prints on top."""
    still = as_bgr(still)
    sheet = np.full((layout.height_px, layout.width_px, 3), PAPER, dtype=np.uint8)
    for x0, y0, x1, y1 in cut_mark_lines(layout):
        sheet[y0 : y1 + 1, x0 : x1 + 1] = MARK
    rendered: dict[str, np.ndarray] = {}
    for slot in layout.slots:
        if slot.size.name not in rendered:
            rendered[slot.size.name] = render_print(still, crop, slot.size)
        image = rendered[slot.size.name]
        if slot.turned:
            image = cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE)
        sheet[slot.y : slot.y + slot.h, slot.x : slot.x + slot.w] = image
    return sheet


def _clip(line: tuple[int, int, int, int], width: int, height: int) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = line
    return (max(0, x0), max(0, y0), min(width - 1, x1), min(height - 1, y1))


SHEET_QUALITY = 95  # prints are not size-limited; keep the sheet close to lossless


def sheet_jpeg(sheet: np.ndarray, layout: SheetLayout = SIX_INCH, quality: int = SHEET_QUALITY) -> bytes:
    """The sheet as a JPEG tagged with the layout's dpi, so it prints at its true size."""
    return encode_jpeg(sheet, quality, layout.dpi)


def sheet_pdf(sheet: np.ndarray, layout: SheetLayout = SIX_INCH, quality: int = SHEET_QUALITY) -> bytes:
    """The sheet as a one-page PDF of the layout's paper size (152.4 x 101.6 mm for 6 inch)."""
    return jpeg_page_pdf(sheet_jpeg(sheet, layout, quality), layout.width_mm, layout.height_mm)
