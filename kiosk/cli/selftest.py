"""``kiosk selftest``: check the booth's hardware and surroundings before students arrive.

Exit status: 0 when every check passed (or was skipped), 1 when any failed, 2 for a usage error (a bad
option, an unreadable config or --qr-image). ``--json`` prints one JSON object on stdout, for scripts
and the installer; prompts (press the button) always go to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.cli.common import add_config_options, config_from_args
from kiosk.core.errors import CliError

if TYPE_CHECKING:
    import numpy as np

    from kiosk.app.checks import CheckResult


def register(sub: argparse._SubParsersAction) -> None:
    from kiosk.app.selftest import CHECK_NAMES, GATE_CHECKS

    parser = sub.add_parser(
        "selftest",
        help="check camera, lights, button, QR reader, models, disk, clock and upload target",
        description="Check every part of the booth; stop the booth first (sudo systemctl stop kiosk).",
    )
    add_config_options(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument(
        "--button-wait",
        type=_seconds,
        default=0.0,
        metavar="S",
        help="wait up to S seconds for a press of the big button (default 0: do not test the button)",
    )
    parser.add_argument("--qr-image", metavar="FILE", help="picture of a capture code to decode (default: a drawn one)")
    parser.add_argument("--models", metavar="DIR", help="folder of the face models (default: found automatically)")
    parser.add_argument(
        "--skip", action="append", default=[], choices=CHECK_NAMES, metavar="CHECK", help="leave out a check"
    )
    parser.add_argument(
        "--gate",
        choices=sorted(GATE_CHECKS),
        help="only whether this service can serve (files only, no camera or pins): the systemd units run "
        "it before starting, and a failure (exit 1) keeps the service from starting",
    )
    parser.set_defaults(func=_selftest)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not 0 <= value <= 600:
        raise argparse.ArgumentTypeError(f"expected 0 to 600 seconds, got {text!r}")
    return value


def _selftest(args: argparse.Namespace) -> int:
    from kiosk.app.checks import format_result, format_summary, run_checks
    from kiosk.app.hardware import PinFactory
    from kiosk.app.selftest import SelftestOptions, default_checks

    config = config_from_args(args)
    qr_image, qr_label = _qr_image(args.qr_image)
    models = Path(args.models).expanduser() if args.models else None
    if models is not None and not models.is_dir():
        raise CliError(f"--models: {models} is not a folder")
    options = SelftestOptions(
        button_wait_s=args.button_wait,
        qr_image=qr_image,
        qr_label=qr_label,
        models_dir=models,
        skip=frozenset(args.skip),
        gate=args.gate,
    )

    def prompt(message: str) -> None:
        print(f"kiosk selftest: {message}", file=sys.stderr, flush=True)

    def show(result: CheckResult) -> None:
        if not args.json:
            print(format_result(result), flush=True)

    if not args.json:
        print(
            f"kiosk selftest: booth {config.kiosk.id}, camera {config.camera.source}, "
            f"pins {config.gpio.pin_factory}, data {config.data_dir}",
            flush=True,
        )
    with PinFactory(config.gpio.pin_factory) as pins:
        report = run_checks(config.kiosk.id, default_checks(config, options, pins, prompt), on_result=show)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print()
        print(format_summary(report))
    return report.exit_code


def _qr_image(path_text: str | None) -> tuple[np.ndarray | None, str]:
    """The --qr-image picture and its name for the report; a missing or unreadable file is a usage error."""
    if not path_text:
        return None, ""
    from kiosk.hw.replay import read_image

    path = Path(path_text).expanduser()
    if not path.is_file():
        raise CliError(f"--qr-image: {path}: no such file")
    image = read_image(path)
    if image is None:
        raise CliError(f"--qr-image: {path}: not a readable image (jpg, png, webp)")
    return image, str(path)
