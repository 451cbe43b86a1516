"""Helpers shared by the subcommands: the common options and the one-line error type."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from kiosk.core.config import Config, load_config
from kiosk.core.errors import CliError

CONFIG_ENV = "KIOSK_CONFIG"


def add_config_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c",
        "--config",
        metavar="FILE",
        default=os.environ.get(CONFIG_ENV) or None,
        help=f"TOML config file (default: ${CONFIG_ENV}, which the installed `kiosk` command sets to "
        "/etc/kiosk/kiosk.toml; else built-in defaults)",
    )
    parser.add_argument("--data", metavar="DIR", help="data folder (overrides kiosk.data_dir)")


def config_from_args(args: argparse.Namespace) -> Config:
    return load_config(getattr(args, "config", None), getattr(args, "data", None))


def read_image(path: str | Path) -> Any:
    """The image file as a BGR array, or a one-line CliError when it is missing, not an image, or has more
    pixels than a booth may decode (checked from the header, before decoding)."""
    from kiosk.core.images import ImageTooLarge, ImageUnreadable, read_image_file

    try:
        return read_image_file(path)
    except IsADirectoryError:
        raise CliError(f"{path}: is a folder, not an image file") from None
    except OSError as exc:
        raise CliError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except ImageTooLarge as exc:
        raise CliError(f"{path}: {exc}") from None
    except ImageUnreadable:
        raise CliError(f"{path}: not an image this tool can read") from None
