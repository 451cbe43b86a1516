"""``kiosk codes``: make a keyring, issue a test code, and read codes from image files.

``read`` is what staff use when a student's code is refused at the booth: it says which outcome the
booth saw, with the same words the student saw. ``issue`` exists for tests, demos and rehearsals; real
codes come from the collection centre.
"""

from __future__ import annotations

import argparse
import io
import json
import time
from datetime import date
from pathlib import Path

import segno

from kiosk.cli.common import add_config_options, config_from_args, read_image
from kiosk.codes import (
    NO_CODE_FOUND,
    NOT_A_CAPTURE_CODE,
    CodeConfigError,
    CodeError,
    CodeReader,
    Keyring,
    Outcome,
    issue_code,
    load_code_reader,
)
from kiosk.codes.phone_screen import QR_ERROR
from kiosk.codes.qr import QrReader
from kiosk.core.errors import CliError
from kiosk.core.files import atomic_write

PNG_SCALE = 8  # pixels per module: crisp on a phone screen or a printout


def register(sub: argparse._SubParsersAction) -> None:
    codes = sub.add_parser("codes", help="capture codes: make a keyring, issue a test code, read codes")
    actions = codes.add_subparsers(dest="codes_action", metavar="ACTION")
    codes.set_defaults(func=lambda args: _usage(codes))

    keygen = actions.add_parser("keygen", help="write a new keyring with one random key (mode 600)")
    keygen.add_argument("--out", required=True, metavar="KEYRING.toml", type=Path, help="where to write it")
    keygen.add_argument("--kid", default=f"k{date.today().year}", help="key id (default: k<year>)")
    keygen.add_argument("--force", action="store_true", help="replace an existing file")
    keygen.set_defaults(func=cmd_keygen)

    issue = actions.add_parser("issue", help="issue an XC1 code (for tests and rehearsals) and print its text")
    _keyring_option(issue)
    issue.add_argument("--uid", required=True, help="student's unique number (A-Z a-z 0-9)")
    issue.add_argument(
        "--name", help="a made-up test name (a real one is asked for or read from stdin: never on a command line)"
    )
    issue.add_argument("--idn", help="a made-up test ID number (likewise); both are masked in the code")
    issue.add_argument("--school", required=True)
    issue.add_argument("--level", required=True, help="e.g. 本科, 专科, 研究生")
    issue.add_argument("--kid", help="key id (default: the keyring's only key)")
    issue.add_argument("--expires-in", type=_positive_int, metavar="SECONDS", help="valid for this long")
    issue.add_argument("--png", type=Path, metavar="FILE", help="also write the QR code as a PNG image")
    issue.set_defaults(func=cmd_issue)

    read = actions.add_parser("read", help="read and check the capture code in each image file")
    _keyring_option(read)
    read.add_argument("--json", action="store_true", help="one JSON object per image, one per line")
    read.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    read.set_defaults(func=cmd_read)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _keyring_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--keyring", type=Path, metavar="KEYRING.toml", help="default: the config's keyring")
    add_config_options(parser)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of seconds, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {value}")
    return value


def _keyring_path(args: argparse.Namespace) -> Path:
    return args.keyring if args.keyring is not None else config_from_args(args).keyring_path


def _load_keyring(path: Path) -> Keyring:
    try:
        return Keyring.load(path)
    except CodeConfigError as exc:
        raise CliError(str(exc)) from None


def cmd_keygen(args: argparse.Namespace) -> int:
    try:
        keyring = Keyring.generate(args.out, args.kid, overwrite=args.force)
    except CodeConfigError as exc:
        hint = " (use --force to replace it)" if args.out.exists() and not args.force else ""
        raise CliError(f"{exc}{hint}") from None
    print(f"wrote {args.out} with key id {keyring.kids[0]} (readable by this user only)")
    return 0


def cmd_issue(args: argparse.Namespace) -> int:
    keyring = _load_keyring(_keyring_path(args))
    kid = args.kid
    if kid is None:
        if len(keyring.kids) != 1:
            raise CliError(f"the keyring has keys {', '.join(keyring.kids)}; choose one with --kid")
        kid = keyring.kids[0]
    if args.name is None or args.idn is None:
        from kiosk.cli.identity import read_identity

        name, idn = read_identity()
    else:
        name, idn = args.name, args.idn
    iat = int(time.time())
    exp = iat + args.expires_in if args.expires_in else None
    try:
        text = issue_code(keyring, kid, args.uid, name, idn, args.school, args.level, iat, exp)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if args.png is not None:
        buf = io.BytesIO()
        segno.make(text, error=QR_ERROR, micro=False).save(buf, kind="png", scale=PNG_SCALE, border=4)
        try:
            atomic_write(args.png, buf.getvalue(), mode=0o644)
        except OSError as exc:
            raise CliError(f"{args.png}: cannot write ({exc.strerror or exc})") from None
    print(text)
    return 0


def cmd_read(args: argparse.Namespace) -> int:
    for path in args.images:
        if not path.is_file():
            raise CliError(f"{path}: no such image file")
    config = config_from_args(args)
    keyring_path = args.keyring if args.keyring is not None else config.keyring_path
    try:
        codes = config.codes
        reader = load_code_reader(codes.decoders, keyring_path, codes.max_clock_skew_s, codes.max_age_s)
    except CodeConfigError as exc:
        raise CliError(str(exc)) from None
    qr = QrReader()
    all_ok = True
    for path in args.images:
        texts = qr.read(read_image(path))
        result = check_texts(reader, texts, time.time())
        all_ok = all_ok and bool(result.get("ok", False))
        line = {"file": str(path), **result}
        print(json.dumps(line, ensure_ascii=False) if args.json else _readable(line))
    return 0 if all_ok else 1


def check_texts(reader: CodeReader, texts: list[str], now: float) -> dict[str, object]:
    """The verdict on what one image showed: the first code that reads, else the most telling refusal."""
    if not texts:
        return _refusal(NO_CODE_FOUND)
    refusal: Outcome | None = None
    for text in texts:
        try:
            subject = reader.decode(text, now)
        except CodeError as exc:
            if refusal is None or refusal is NOT_A_CAPTURE_CODE:
                refusal = exc.outcome
            continue
        return {"ok": True, "subject": subject.to_dict()}
    return _refusal(refusal or NOT_A_CAPTURE_CODE)


def _refusal(outcome: Outcome) -> dict[str, object]:
    return {"ok": False, "outcome": outcome.id, "message": outcome.message()}


def _readable(line: dict) -> str:
    if line["ok"]:
        s = line["subject"]
        return f"{line['file']}: ok  {s['name']}  {s['idn']}  {s['school']}  {s['level']}  (uid {s['uid']})"
    msg = line["message"]
    return f"{line['file']}: {line['outcome']}  {msg['zh']} / {msg['en']}"
