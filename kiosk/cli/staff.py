"""Subcommands for the staff console.

``kiosk passwd [USER]``          set a staff member's password (asked twice, or read from stdin)
``kiosk schedule import FILE``   import a batch schedule (CSV or XLSX) into the booth's records

Both write to the data folder and leave a line in the staff audit log; they work while the booth runs.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from kiosk.cli.common import add_config_options, config_from_args
from kiosk.core.errors import CliError


def register(sub: Any) -> None:
    pw = sub.add_parser("passwd", help="set a staff console password")
    add_config_options(pw)
    pw.add_argument("user", nargs="?", default="staff", metavar="USER", help="user name (default: staff)")
    pw.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line of stdin (for scripts)"
    )
    pw.set_defaults(func=cmd_passwd)

    sc = sub.add_parser("schedule", help="batch schedules for the staff console")
    parser_class = type(sc)
    sc.set_defaults(func=_help(sc))
    ssub = sc.add_subparsers(dest="schedule_command", metavar="ACTION", parser_class=parser_class)
    im = ssub.add_parser("import", help="import a schedule (CSV or XLSX: date, start, end, unit, expected)")
    add_config_options(im)
    im.add_argument("file", metavar="FILE", help="the schedule, .csv or .xlsx")
    im.set_defaults(func=cmd_schedule_import)


def _help(parser: argparse.ArgumentParser) -> Any:
    def show(_args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    return show


def _who() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in a bare container
        return "cli"


def _audit(data_dir: Path) -> Any:
    from kiosk.core.clock import SystemClock
    from kiosk.staff.audit import AuditLog
    from kiosk.staff.store import StaffStore

    store = StaffStore.for_data_dir(data_dir)
    return store, AuditLog(store, SystemClock().wall)


def cmd_passwd(args: argparse.Namespace) -> int:
    from kiosk.staff.auth import PasswordError, PasswordFile, check_user_name

    config = config_from_args(args)
    try:
        check_user_name(args.user)
    except PasswordError as exc:
        raise CliError(str(exc)) from None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"new password for {args.user}: ")
        if getpass.getpass("again: ") != password:
            raise CliError("the two passwords differ; nothing was changed")
    config.data_dir.mkdir(parents=True, exist_ok=True)
    passwords = PasswordFile.for_data_dir(config.data_dir)
    try:
        passwords.set(args.user, password)
    except PasswordError as exc:
        raise CliError(str(exc)) from None
    store, audit = _audit(config.data_dir)
    with store:
        audit.record(_who(), "password_set", args.user, remote="cli")
    print(f"password set for {args.user} ({passwords.path}); their open sessions are signed out")
    return 0


def cmd_schedule_import(args: argparse.Namespace) -> int:
    from kiosk.core.clock import SystemClock
    from kiosk.staff.actions import Actor, StaffActions
    from kiosk.staff.schedule import ScheduleError

    config = config_from_args(args)
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CliError(f"{path}: cannot read ({exc.strerror or exc})") from None
    config.data_dir.mkdir(parents=True, exist_ok=True)
    store, audit = _audit(config.data_dir)
    with store:
        actions = StaffActions(None, store, audit, SystemClock())
        try:
            result = actions.import_schedule(Actor(_who(), "cli"), data, path.name)
        except ScheduleError as exc:
            message = str(exc)
            raise CliError(message if message.startswith(path.name) else f"{path.name}: {message}") from None
    replaced = f", replacing {result.replaced}" if result.replaced else ""
    print(f"imported {result.batches} batches for {', '.join(result.days)}{replaced}")
    return 0
