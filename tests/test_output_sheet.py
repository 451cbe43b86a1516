"""The 6-inch print sheet of photo-spec section 2: layout, prints from the still, cut marks, PDF."""

from __future__ import annotations

import re
import struct

import cv2
import numpy as np
import pytest

from kiosk.output import SIX_INCH, build_sheet, sheet_jpeg, sheet_pdf, solve
from kiosk.output.sheet import MARK, ONE_INCH, PAPER, TWO_INCH, cut_mark_lines, print_rect
from tests.helpers.portraits import PUPIL, synthetic_portrait
from tests.helpers.printpdf import read_print_pdf

SPEC_RECTS = {
    (14, 14, 413, 579),
    (441, 14, 413, 579),
    (14, 607, 413, 579),
    (441, 607, 413, 579),
    (868, 19, 295, 413),
    (1177, 19, 295, 413),
    (1486, 19, 295, 413),
    (868, 451, 295, 413),
    (1177, 451, 295, 413),
    (1486, 451, 295, 413),
    (868, 883, 413, 295),
    (1295, 883, 413, 295),
}


@pytest.fixture(scope="module")
def made():
    still, head = synthetic_portrait(noise=2)
    placement = solve(head, still.shape[1], still.shape[0])
    return still, head, placement, build_sheet(still, placement.rect)


def test_layout_is_the_spec_table() -> None:
    assert {s.rect for s in SIX_INCH.slots} == SPEC_RECTS
    assert sum(s.size is TWO_INCH for s in SIX_INCH.slots) == 4
    assert sum(s.size is ONE_INCH for s in SIX_INCH.slots) == 8
    assert sum(s.turned for s in SIX_INCH.slots) == 2
    rects = [s.rect for s in SIX_INCH.slots]
    for i, (x, y, w, h) in enumerate(rects):
        assert x >= 14 and y >= 14 and x + w <= 1800 - 14 and y + h <= 1200 - 14
        for ox, oy, ow, oh in rects[i + 1 :]:
            assert x + w <= ox or ox + ow <= x or y + h <= oy or oy + oh <= y, "prints overlap"


def test_sheet_size(made) -> None:
    *_, sheet = made
    assert sheet.shape == (1200, 1800, 3)
    assert SIX_INCH.width_mm == pytest.approx(152.4) and SIX_INCH.height_mm == pytest.approx(101.6)


def test_cut_marks_on_every_print_edge_in_the_gutters(made) -> None:
    *_, sheet = made
    mark, paper = np.array(MARK), np.array(PAPER)
    covered = np.zeros(sheet.shape[:2], bool)
    for x, y, w, h in SPEC_RECTS:
        covered[y : y + h, x : x + w] = True
    checked = 0
    for x, y, w, h in SPEC_RECTS:
        # 5 px past each corner, along each edge line, unless another print sits there
        for px, py in [
            (x - 5, y),
            (x + w + 4, y),
            (x - 5, y + h - 1),
            (x + w + 4, y + h - 1),
            (x, y - 5),
            (x, y + h + 4),
            (x + w - 1, y - 5),
            (x + w - 1, y + h + 4),
        ]:
            if 0 <= px < 1800 and 0 <= py < 1200 and not covered[py, px]:
                assert (sheet[py, px] == mark).all(), (x, y, px, py)
                checked += 1
    assert checked > 60
    # a gutter pixel off every edge line stays paper
    assert (sheet[600, 434] == paper).all()  # centre of the cross between the 2-inch prints: no line
    assert (sheet[5, 500] == paper).all()


def test_cut_marks_stay_in_the_gutters(made) -> None:
    *_, sheet = made
    for x0, y0, x1, y1 in cut_mark_lines(SIX_INCH):
        assert 0 <= x0 <= x1 < 1800 and 0 <= y0 <= y1 < 1200
        assert x0 == x1 or y0 == y1  # 1 px wide, horizontal or vertical
    # a print's own pixels are picture, not mark: the first row of the first 2-inch print is backdrop
    top_row = sheet[14, 14 : 14 + 413].astype(int)
    assert np.abs(top_row - np.array([255, 197, 100])).max(axis=1).mean() < 15


def test_print_rect_trims_width_equally() -> None:
    crop = (1000, 500, 972, 1296)
    x, y, w, h = print_rect(crop, 413, 579)
    assert (y, h) == (500, 1296)
    assert w == round(1296 * 413 / 579)
    assert abs((x - 1000) - (1000 + 972 - (x + w))) <= 1


def test_two_inch_print_shows_the_head_scaled_from_the_registration(made) -> None:
    still, head, placement, sheet = made
    tile = sheet[14 : 14 + 579, 14 : 14 + 413]
    a = placement.achieved
    scale = 579 / 640
    dark = np.all(np.abs(tile.astype(int) - PUPIL) < 40, axis=2)
    band = np.zeros_like(dark)
    half = int(0.35 * a.face_width_px * scale)
    band[int(180 * scale) : int(310 * scale), 206 - half : 206 + half] = True
    ys, xs = np.nonzero(dark & band)
    assert abs(ys.mean() - a.eye_line_px * scale) < 2
    assert abs(xs.mean() - (206.5 + a.centre_offset_px * scale)) < 2


def test_turned_prints_are_the_upright_print_rotated(made) -> None:
    *_, sheet = made
    upright = sheet[19 : 19 + 413, 868 : 868 + 295].astype(int)
    turned = sheet[883 : 883 + 295, 868 : 868 + 413]
    back = cv2.rotate(turned, cv2.ROTATE_90_CLOCKWISE).astype(int)
    assert np.abs(back - upright).mean() < 1


def test_sheet_jpeg_is_300_dpi(made) -> None:
    *_, sheet = made
    data = sheet_jpeg(sheet)
    app0 = data[data.index(b"JFIF\x00") : data.index(b"JFIF\x00") + 14]
    assert struct.unpack(">BHH", app0[7:12]) == (1, 300, 300)
    assert b"Exif" not in data[:200]
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == (1200, 1800, 3)


def test_pdf_is_one_page_of_6_by_4_inches(made) -> None:
    """Read back by a PDF reader: 6 x 4 inches, the sheet drawn edge to edge at 300 dpi, as encoded."""
    *_, sheet = made
    pdf = sheet_pdf(sheet)
    (page,) = read_print_pdf(pdf)
    assert (page.width_pt, page.height_pt) == (432, 288)  # 6 x 4 inches
    (image,) = page.images
    assert image.rect_pt == (0, 0, 432, 288)
    assert (image.width_px, image.height_px) == (1800, 1200) and image.dpi == (300, 300)
    assert image.filters == ("/DCTDecode",)  # the sheet's JPEG as is, not re-encoded
    assert image.pixels.shape == (1200, 1800, 3)
    assert np.abs(image.pixels.astype(int) - cv2.imdecode(np.frombuffer(sheet_jpeg(sheet), np.uint8), 1)).max() == 0


def test_each_print_lands_at_its_size_in_millimetres_in_the_pdf(made) -> None:
    """Every photo of the sheet is on the PDF page where the layout puts it, 35 x 49 or 25 x 35 mm."""
    *_, sheet = made
    (page,) = read_print_pdf(sheet_pdf(sheet))
    (image,) = page.images
    mm_per_px = image.rect_pt[2] / image.width_px / 72 * 25.4
    sizes = set()
    for slot in SIX_INCH.slots:
        x, y, w, h = slot.rect
        sizes.add((round(w * mm_per_px), round(h * mm_per_px)))
        printed = image.pixels[y : y + h, x : x + w].astype(int)
        assert np.abs(printed - sheet[y : y + h, x : x + w].astype(int)).mean() < 3, slot
    assert sizes == {(35, 49), (25, 35), (35, 25)}


def test_pdf_cross_reference_table_points_at_the_objects(made) -> None:
    *_, sheet = made
    pdf = sheet_pdf(sheet)
    assert pdf.startswith(b"%PDF-1.") and pdf.rstrip().endswith(b"%%EOF")
    # the xref offsets point at the objects
    start = int(re.search(rb"startxref\n(\d+)", pdf).group(1))
    assert pdf[start : start + 4] == b"xref"
    table = pdf[start:].split(b"\n")
    for number, line in enumerate(table[3:8], start=1):
        offset = int(line[:10])
        assert pdf[offset:].startswith(f"{number} 0 obj".encode())
