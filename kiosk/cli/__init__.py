"""The ``kiosk`` command: one entry point, one module per group of subcommands.

Each module listed in ``COMMAND_MODULES`` has ``register(subparsers)``, which adds its subcommands and
sets ``func`` on them; ``func(args)`` returns the exit status. Errors that a person can fix (a config
typo, a missing file) are raised as ``CliError``/``ConfigError`` and printed as one line, never a
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from kiosk import __version__
from kiosk.core.config import ConfigError
from kiosk.core.errors import CliError
from kiosk.ops.logs import setup_logging

COMMAND_MODULES = [
    "kiosk.cli.run",
    "kiosk.cli.check",
    "kiosk.cli.queue",
    "kiosk.cli.output",
    "kiosk.cli.codes",
    "kiosk.cli.selftest",
    "kiosk.cli.calibrate",
    "kiosk.cli.staff",
]


class _Parser(argparse.ArgumentParser):
    """argparse exits with status 2 on usage errors; keep that, but as our one-line style."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kiosk", description="Self-service graduation photo booth.")
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(verbose=args.verbose)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (CliError, ConfigError) as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
