"""``kiosk run`` (the booth on its config) and ``kiosk demo`` (the whole flow on a laptop, no hardware)."""

from __future__ import annotations

import argparse
from pathlib import Path

from kiosk.cli.common import add_config_options, config_from_args
from kiosk.core.errors import CliError


def register(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="run the booth and its web page")
    add_config_options(run)
    run.set_defaults(func=_run)

    demo = sub.add_parser("demo", help="run the booth on embedded defaults: replay camera, mock GPIO, local folders")
    add_config_options(demo)
    demo.add_argument("--photos", metavar="DIR", help="portraits to show after the capture code")
    demo.add_argument("--port", type=int, help="web port (default from config, 8080)")
    demo.add_argument("--countdown", type=int, help="countdown seconds (default from config)")
    demo.set_defaults(func=_demo)


def _run(args: argparse.Namespace) -> int:
    from kiosk.app.wiring import serve

    return serve(config_from_args(args))


def _demo(args: argparse.Namespace) -> int:
    from kiosk.app.wiring import serve
    from kiosk.demo.director import demo_config

    config = demo_config(config_from_args(args), port=args.port, countdown=args.countdown)
    photos = Path(args.photos).expanduser() if args.photos else None
    if photos is not None and not photos.is_dir():
        raise CliError(f"--photos {photos}: no such folder")
    return serve(config, demo_photos=photos, demo=True)
