"""``kiosk check``: judge photo files against a compliance profile, as the booth would.

Prints one line per photo (``--json``: one JSON object per line). Exit status 0 when every photo could
be judged (whether or not it passed), 2 when a file cannot be read, with a one-line reason.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from kiosk.core.errors import CliError
from kiosk.vision.report import Report


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="check photos against the compliance rules")
    p.add_argument("photos", nargs="+", metavar="PHOTO", help="image files (JPEG, PNG, ...) or folders of them")
    p.add_argument("--profile", default="chsi", help="policy profile (default: chsi)")
    p.add_argument(
        "--models", metavar="DIR", help="model folder (default: $KIOSK_MODELS_DIR, else the models shipped with kiosk)"
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=run)


def read_photo(path: Path) -> np.ndarray:
    """The photo as BGR; CliError with the reason when it is missing, not a readable image, or has more
    pixels than the limit (read from the header, before decoding)."""
    from kiosk.core.images import ImageRefused, read_image_file

    if not path.is_file():
        raise CliError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise CliError(f"{path}: empty file")
    try:
        return read_image_file(path)
    except OSError as exc:
        raise CliError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except ImageRefused as exc:
        raise CliError(f"{path}: {exc}") from None


PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"})


def _photo_files(names: list[str], unreadable: list[str]) -> list[str]:
    """The files to check: each name as given, a folder as the photos in it (by name, not recursive)."""
    out: list[str] = []
    for name in names:
        path = Path(name)
        if not path.is_dir():
            out.append(name)
            continue
        photos = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)
        if not photos:
            unreadable.append(f"{name}: is a folder with no photos in it (JPEG, PNG, WebP, BMP or TIFF)")
        out.extend(str(p) for p in photos)
    return out


def run(args: argparse.Namespace) -> int:
    from kiosk.vision.checker import ComplianceChecker
    from kiosk.vision.interpreter import ModelError
    from kiosk.vision.profiles import ProfileError

    try:
        checker = ComplianceChecker(args.profile, models_dir=args.models)
    except (ProfileError, ModelError) as exc:
        raise CliError(str(exc)) from exc
    unreadable: list[str] = []
    for name in _photo_files(args.photos, unreadable):
        try:
            image = read_photo(Path(name))
        except CliError as exc:
            unreadable.append(str(exc))
            continue
        report = checker.check(image)
        if args.json:
            line = {"file": name, **report.to_dict()}
            print(json.dumps(line, ensure_ascii=False, default=_plain), flush=True)
        else:
            print(human_line(name, report), flush=True)
    if unreadable:
        more = f" (and {len(unreadable) - 1} more)" if len(unreadable) > 1 else ""
        raise CliError(f"{unreadable[0]}{more}")
    return 0


def human_line(name: str, report: Report) -> str:
    """``photo.jpg: PASS (96 ms) - asked: jewellery: If you are wearing earrings ...``: the verdict, up to
    three failures, then the questions a passed photo still asks (the student answers them at the booth)."""
    verdict = "PASS" if report.passed else "FAIL"
    parts = [f"{c.id}: {c.message.en}" for c in report.failures()[:3]]
    parts += [f"asked: {c.id}: {c.message.en}" for c in report.asked()]
    return f"{name}: {verdict} ({report.ms:.0f} ms){' - ' + '; '.join(parts) if parts else ''}"


def _plain(obj: object) -> object:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)
