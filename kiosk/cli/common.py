"""Helpers shared by the subcommands: the common options and the one-line error type."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kiosk.config import Config, load_config


class CliError(Exception):
    """A usage problem the person at the keyboard can fix; printed as one line, exit status 2."""


def add_config_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-c", "--config", metavar="FILE", help="TOML config file (default: built-in defaults)")
    parser.add_argument("--data", metavar="DIR", help="data folder (overrides kiosk.data_dir)")


def config_from_args(args: argparse.Namespace) -> Config:
    return load_config(getattr(args, "config", None), getattr(args, "data", None))


def read_image(path: str | Path) -> Any:
    """The image file as a BGR array, or a one-line CliError when it is missing or not an image."""
    import cv2
    import numpy as np

    try:
        raw = np.fromfile(str(path), dtype=np.uint8)
    except OSError as exc:
        raise CliError(f"{path}: cannot read ({exc.strerror or exc})") from None
    image = cv2.imdecode(raw, cv2.IMREAD_COLOR) if raw.size else None
    if image is None:
        raise CliError(f"{path}: not an image this tool can read")
    return image
