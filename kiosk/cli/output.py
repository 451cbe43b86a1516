"""``kiosk crop`` (the 480x640 registration photo from a portrait) and ``kiosk sheet`` (the print sheet).

Both measure the head with the compliance checker's face analysis, or take the measurements from
``--geometry`` (useful where the face models are not installed), and place it with the same solver the
booth uses. Unreadable input, an impossible placement or an unwritable output end in one line and exit
status 2.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.cli.common import read_image
from kiosk.core.errors import CliError

_GEOMETRY_HELP = "CROWN_Y,EYE_X,EYE_Y,FACE_WIDTH[,CHIN_Y]"


def register(sub: argparse._SubParsersAction) -> None:
    crop = sub.add_parser("crop", help="make the 480x640 registration JPEG from a portrait")
    _common(crop, "OUT.jpg")
    crop.add_argument("--json", action="store_true", help="print the achieved geometry as JSON")
    crop.set_defaults(func=_crop)

    sheet = sub.add_parser("sheet", help="make the 6-inch print sheet (4 x 2-inch, 8 x 1-inch) from a portrait")
    _common(sheet, "OUT.jpg|OUT.pdf")
    sheet.add_argument("--print", dest="printer", metavar="PRINTER", help="also send the sheet to this CUPS printer")
    sheet.add_argument(
        "--lp-option", action="append", default=[], metavar="OPTION", help="extra lp -o option (repeatable)"
    )
    sheet.set_defaults(func=_sheet)


def _common(parser: argparse.ArgumentParser, out_help: str) -> None:
    parser.add_argument("photo", metavar="PHOTO", help="full-resolution portrait (JPEG, PNG, ...)")
    parser.add_argument("-o", "--output", required=True, metavar=out_help, help="file to write")
    parser.add_argument("--profile", default="chsi", help="policy profile (default: chsi)")
    parser.add_argument(
        "--geometry",
        metavar=_GEOMETRY_HELP,
        help="head measurements in source pixels instead of running the face analysis",
    )


def _crop(args: argparse.Namespace) -> int:
    from kiosk.output import EncodeError, GeometryError, OutputSettings, make_registration

    image = read_image(args.photo)
    profile = _profile(args.profile)
    head = _measure(image, args, profile.name)
    try:
        photo = make_registration(image, head, OutputSettings.from_profile(profile))
    except GeometryError as exc:
        raise CliError(_geometry_line(args.photo, exc)) from None
    except EncodeError as exc:
        raise CliError(f"{args.photo}: {exc}") from None
    _write(Path(args.output), photo.jpeg)
    if args.json:
        print(json.dumps({"source": args.photo, "output": args.output, **photo.to_dict()}, ensure_ascii=False))
    else:
        print(_describe(args.output, photo, profile, image.shape))
    return 0


def _sheet(args: argparse.Namespace) -> int:
    from kiosk.output import GeometryError, GeometryRules, PrintError, build_sheet, send_to_printer, solve
    from kiosk.output.sheet import sheet_jpeg, sheet_pdf

    out = Path(args.output)
    suffix = out.suffix.lower()
    if suffix not in (".jpg", ".jpeg", ".pdf"):
        raise CliError(f"{out}: the sheet is written as .jpg or .pdf")
    image = read_image(args.photo)
    profile = _profile(args.profile)
    head = _measure(image, args, profile.name)
    try:
        placement = solve(head, image.shape[1], image.shape[0], GeometryRules.from_profile(profile))
    except GeometryError as exc:
        raise CliError(_geometry_line(args.photo, exc)) from None
    sheet = build_sheet(image, placement.rect)
    _write(out, sheet_pdf(sheet) if suffix == ".pdf" else sheet_jpeg(sheet))
    print(f"{out}: 6-inch sheet, {sheet.shape[1]}x{sheet.shape[0]} px at 300 dpi, 4 x 2-inch + 8 x 1-inch")
    if args.printer:
        try:
            job = send_to_printer(out, args.printer, args.lp_option)
        except PrintError as exc:
            raise CliError(f"printing on {args.printer}: {exc}") from None
        print(f"sent to {args.printer}: {job}")
    return 0


def _profile(name: str) -> Any:
    from kiosk.vision.profiles import ProfileError, load_profile

    try:
        return load_profile(name)
    except ProfileError as exc:
        raise CliError(str(exc)) from None


def _measure(image: np.ndarray, args: argparse.Namespace, profile_name: str) -> Any:
    """Head measurements from ``--geometry``, else from the compliance checker's face analysis."""
    from kiosk.output import GeometryError, HeadMeasure

    if args.geometry:
        return parse_geometry(args.geometry)
    from kiosk.vision.checker import ComplianceChecker

    try:
        geometry = ComplianceChecker(profile_name).check(image).geometry
    except Exception as exc:  # the analysis is a black box here: any failure becomes one line
        raise CliError(f"{args.photo}: face analysis failed: {exc}") from None
    try:
        return HeadMeasure.from_face(geometry)
    except GeometryError as exc:
        raise CliError(_geometry_line(args.photo, exc)) from None


def parse_geometry(text: str) -> Any:
    from kiosk.output import HeadMeasure

    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) not in (4, 5):
        raise CliError(f"--geometry wants {_GEOMETRY_HELP} in source pixels, got {text!r}")
    return HeadMeasure(*values)


def _geometry_line(photo: str, exc: Any) -> str:
    return f"{photo}: head_geometry {exc.reason}: {exc.message.en} / {exc.message.zh}"


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise CliError(f"{path}: {exc.strerror or exc}") from None


def _describe(out: str, photo: Any, profile: Any, shape: tuple[int, ...]) -> str:
    g, p, e = photo.placement.achieved, photo.placement, photo.encoded
    rng = profile.get

    def band(key: str) -> str:
        lo, hi = rng(f"geometry.{key}")
        return f"({lo:g}-{hi:g})"

    chin = "" if g.chin_px is None else f"\n  chin           {g.chin_px:6.1f} px"
    return (
        f"{out}: {p.out_w}x{p.out_h}, {e.size_kb:.1f} KB, quality {e.quality}"
        + (" (under the size minimum)" if e.under_min else "")
        + f"\n  head width     {g.face_width_px:6.1f} px  {band('face_width_px')}"
        + f"\n  crown margin   {g.crown_px:6.1f} px  {band('crown_px')}"
        + f"\n  eye line       {g.eye_line_px:6.1f} px  {band('eye_line_px')}"
        + f"\n  centre offset  {g.centre_offset_px:+6.1f} px  (±{rng('geometry.centre_tolerance_px'):g})"
        + chin
        + f"\n  crop {p.x0},{p.y0} {p.width}x{p.height} of {shape[1]}x{shape[0]}, scale {g.scale:.3f}"
    )
