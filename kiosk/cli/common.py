"""Helpers shared by the subcommands: the common options and the one-line error type."""

from __future__ import annotations

import argparse

from kiosk.config import Config, load_config


class CliError(Exception):
    """A usage problem the person at the keyboard can fix; printed as one line, exit status 2."""


def add_config_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c", "--config", metavar="FILE", help="TOML config file (default: built-in defaults)"
    )
    parser.add_argument("--data", metavar="DIR", help="data folder (overrides kiosk.data_dir)")


def config_from_args(args: argparse.Namespace) -> Config:
    return load_config(getattr(args, "config", None), getattr(args, "data", None))
