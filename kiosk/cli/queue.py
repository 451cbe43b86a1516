"""Subcommands for the sealed upload queue and its keys.

``kiosk keys centre-keygen``  make the centre's key pair (run at the centre, copy centre.pub to booths)
``kiosk unseal``              open one envelope with the centre's private key
``kiosk uploader``            the upload process (its own systemd unit)
``kiosk receiver``            the reference receiver the centre (or a test bench) runs
``kiosk queue status|retry|export|add``  what a technician needs at the booth

Heavy libraries (requests, boto3, flask, waitress) are imported inside the commands that use them, so
``kiosk --help`` and the booth start quickly.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import signal
import sqlite3
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from kiosk.cli.common import add_config_options, config_from_args
from kiosk.core.config import Config
from kiosk.core.errors import CliError
from kiosk.core.files import atomic_write
from kiosk.core.humanize import age
from kiosk.upload.service import build_uploader, open_uploader_patiently

log = logging.getLogger(__name__)

Handler = Callable[[argparse.Namespace], int]


def _friendly(fn: Handler) -> Handler:
    """Turn the queue's own errors into one-line CliErrors (exit status 2, no traceback)."""

    @functools.wraps(fn)
    def wrapper(args: argparse.Namespace) -> int:
        from kiosk.queue.outbox import OutboxError
        from kiosk.storage.db import SchemaTooNewError
        from kiosk.storage.sealing import EnvelopeError, KeyFileError
        from kiosk.upload.loop import UploaderBusy
        from kiosk.upload.manual import PhotoRejected
        from kiosk.upload.outcome import TargetError

        try:
            return fn(args)
        except (KeyFileError, TargetError, OutboxError, UploaderBusy, EnvelopeError, PhotoRejected) as exc:
            raise CliError(str(exc)) from None
        except SchemaTooNewError as exc:
            raise CliError(f"queue database: {exc}") from None
        except sqlite3.Error as exc:
            raise CliError(f"queue database: {exc}") from None
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            raise CliError(f"{where}{exc.strerror or exc}") from None

    return wrapper


def _help(parser: argparse.ArgumentParser) -> Handler:
    def show(_args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    return show


def register(sub: Any) -> None:
    keys = sub.add_parser("keys", help="make the collection centre's key pair")
    parser_class = type(keys)  # nested groups keep the one-line usage errors of the top parser
    keys.set_defaults(func=_help(keys))
    ksub = keys.add_subparsers(dest="keys_command", metavar="ACTION", parser_class=parser_class)
    kg = ksub.add_parser("centre-keygen", help="write centre.key (private, 0600) and centre.pub")
    kg.add_argument("--out", required=True, metavar="DIR", help="folder for the two key files")
    kg.add_argument("--force", action="store_true", help="replace existing key files")
    kg.set_defaults(func=_friendly(cmd_centre_keygen))

    un = sub.add_parser("unseal", help="open a sealed capture with the centre's private key")
    un.add_argument("--key", required=True, metavar="PRIVATE", help="the centre's private key (centre.key)")
    un.add_argument("envelope", metavar="ENVELOPE", help="a <capture_id>.xce file")
    un.add_argument("--out", required=True, metavar="DIR", help="writes DIR/<capture_id>/meta.json, photo.jpg")
    un.set_defaults(func=_friendly(cmd_unseal))

    up = sub.add_parser("uploader", help="send queued captures to the collection centre")
    add_config_options(up)
    up.add_argument(
        "--once",
        action="store_true",
        help="send what is due now, then exit (status 1 if a capture had to wait or was quarantined)",
    )
    up.set_defaults(func=_friendly(cmd_uploader))

    rc = sub.add_parser("receiver", help="run the reference receiver (the centre's side of the protocol)")
    rc.add_argument("--key", required=True, metavar="PRIVATE", help="the centre's private key (centre.key)")
    rc.add_argument("--store", required=True, metavar="DIR", help="folder for received envelopes")
    rc.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    rc.add_argument("--port", type=int, default=8090, metavar="P", help="port (default 8090)")
    rc.add_argument("--token-file", metavar="F", help="one '<kiosk id> <token>' line per booth (re-read on change)")
    rc.add_argument("--revoked-file", metavar="F", help="kiosk ids refused outright, one a line (re-read on change)")
    rc.add_argument(
        "--insecure-open", action="store_true", help="accept uploads without a token (a closed test bench only)"
    )
    rc.add_argument("--threads", type=int, default=4, help="server threads (default 4)")
    rc.set_defaults(func=_friendly(cmd_receiver))

    dp = sub.add_parser("duplicates", help="at the centre: students photographed more than once, across booths")
    dp.add_argument("--key", required=True, metavar="PRIVATE", help="the centre's private key (centre.key)")
    dp.add_argument("--store", required=True, metavar="DIR", help="the receiver's folder of envelopes")
    dp.add_argument("--json", action="store_true", help="machine-readable output")
    dp.set_defaults(func=_friendly(cmd_duplicates))

    q = sub.add_parser("queue", help="look at and manage the upload queue")
    q.set_defaults(func=_help(q))
    qsub = q.add_subparsers(dest="queue_command", metavar="ACTION", parser_class=parser_class)

    st = qsub.add_parser("status", help="counts per state, oldest waiting capture, last error")
    add_config_options(st)
    st.add_argument("--json", action="store_true", help="machine-readable output")
    st.set_defaults(func=_friendly(cmd_status))

    rt = qsub.add_parser("retry", help="send a quarantined capture again")
    add_config_options(rt)
    rt.add_argument("capture_id", nargs="?", metavar="ID", help="capture id (see `kiosk queue status`)")
    rt.add_argument("--all-quarantined", action="store_true", help="every quarantined capture")
    rt.set_defaults(func=_friendly(cmd_retry))

    ex = qsub.add_parser("export", help="copy waiting (sealed) envelopes to a folder, e.g. a USB stick")
    add_config_options(ex)
    ex.add_argument("--to", required=True, metavar="DIR", help="destination folder (must exist)")
    ex.add_argument("--include-quarantined", action="store_true", help="copy quarantined ones too")
    ex.set_defaults(func=_friendly(cmd_export))

    ad = qsub.add_parser(
        "add",
        help="queue a photo from a backup camera (sealed like any other)",
        description="Queue a photo from a backup camera. The student's name and ID number are asked for "
        "at the terminal, or read from stdin as two lines (name, then ID number); both are masked before "
        "anything is stored.",
    )
    add_config_options(ad)
    ad.add_argument("photo", metavar="PHOTO", help="JPEG file (480x640 registration photo)")
    ad.add_argument("--uid", required=True, help="the student's capture-code uid")
    # name and ID number are asked for (or read from stdin); the old options are refused with a reason
    ad.add_argument("--name", help=argparse.SUPPRESS)
    ad.add_argument("--idn", help=argparse.SUPPRESS)
    ad.add_argument("--school", required=True)
    ad.add_argument("--level", required=True)
    ad.add_argument(
        "--answered",
        default="",
        metavar="CHECK,...",
        help="checks the compliance check was unsure about and the student says do not apply (e.g. jewellery)",
    )
    ad.add_argument(
        "--capture-id",
        metavar="ID",
        help="the capture id printed by an earlier, interrupted run: queued at most once (default: the same"
        " id for the same student and photo)",
    )
    ad.set_defaults(func=_friendly(cmd_add))


# --- keys and envelopes ----------------------------------------------------------------------------


def cmd_centre_keygen(args: argparse.Namespace) -> int:
    from kiosk.storage.sealing import generate_centre_keypair

    out = Path(args.out)
    private_path, public_path = out / "centre.key", out / "centre.pub"
    if not args.force and (private_path.exists() or public_path.exists()):
        raise CliError(f"{out} already holds centre keys; use --force to replace them (old envelopes stay sealed)")
    out.mkdir(parents=True, exist_ok=True)
    private_pem, public_pem = generate_centre_keypair()
    atomic_write(private_path, private_pem, mode=0o600)
    os.chmod(private_path, 0o600)
    atomic_write(public_path, public_pem, mode=0o644)
    print(f"private key: {private_path} (keep it at the centre, never on a booth)")
    print(f"public key:  {public_path} (copy to each booth as upload.centre_public_key)")
    return 0


def cmd_unseal(args: argparse.Namespace) -> int:
    from kiosk.storage.sealing import load_private_key, open_envelope, read_envelope_file

    key = load_private_key(Path(args.key))
    try:
        data = read_envelope_file(Path(args.envelope))
    except OSError as exc:
        raise CliError(f"{args.envelope}: cannot read ({exc.strerror})") from None
    opened = open_envelope(data, key)
    dest = Path(args.out) / opened.header.capture_id
    atomic_write(dest / "meta.json", json.dumps(opened.meta, ensure_ascii=False, indent=2).encode() + b"\n")
    atomic_write(dest / "photo.jpg", opened.photo_jpeg)
    if opened.original_jpeg is not None:
        atomic_write(dest / "original.jpg", opened.original_jpeg)
    print(dest)
    return 0


# --- uploader and receiver -------------------------------------------------------------------------


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handler(_signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return stop


def cmd_uploader(args: argparse.Namespace) -> int:
    from kiosk.ops.notify import Notifier
    from kiosk.upload.loop import uploader_lock

    config = config_from_args(args)
    stop = _stop_on_signals()
    notifier = Notifier.from_env()
    if args.once:
        uploader = build_uploader(config)
    else:
        uploader = open_uploader_patiently(config, stop, notifier.status)
        if uploader is None:
            return 0
    try:
        with uploader_lock(uploader.outbox):
            if args.once:
                summary = uploader.run_once(stop)
                status = uploader.outbox.status()
                counts = ", ".join(f"{k} {v}" for k, v in sorted(summary.counts.items())) or "nothing due"
                print(f"sent {summary.sent}: {counts}; waiting {status.counts['pending']}")
                return 0 if summary.all_done else 1
            uploader.run_forever(stop)
            return 0
    finally:
        uploader.target.close()
        uploader.outbox.close()


def cmd_receiver(args: argparse.Namespace) -> int:
    from kiosk.centre.receiver import CredentialError, Credentials, Receiver, make_server, serve_until
    from kiosk.storage.sealing import load_private_key

    if not 0 < args.port < 65536:
        raise CliError(f"--port: expected 1 to 65535, got {args.port}")
    key = load_private_key(Path(args.key))
    if not args.token_file and not args.insecure_open:
        raise CliError("give --token-file (one '<kiosk id> <token>' per booth), or --insecure-open for a test bench")
    try:
        credentials = Credentials.from_files(
            Path(args.token_file) if args.token_file else None,
            Path(args.revoked_file) if args.revoked_file else None,
            insecure_open=args.insecure_open,
        )
    except CredentialError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"{exc.filename}: cannot read ({exc.strerror})") from None
    if args.token_file and not credentials.tokens():
        raise CliError(f"{args.token_file}: holds no token")
    if not credentials.tokens():
        log.warning("--insecure-open: every request is accepted without a token")
    receiver = Receiver(key, Path(args.store), credentials)
    try:
        server = make_server(
            receiver.app(), args.host, args.port, threads=max(1, args.threads), authorised=receiver.authorised
        )
    except OSError as exc:
        raise CliError(f"cannot listen on {args.host}:{args.port} ({exc.strerror})") from None
    print(f"receiver listening on http://{args.host}:{server.effective_port}, storing in {args.store}", flush=True)
    serve_until(server, _stop_on_signals())
    return 0


def cmd_duplicates(args: argparse.Namespace) -> int:
    """Exit status 1 when some uid arrived more than once, so a nightly job can alert."""
    from kiosk.centre.duplicates import find_duplicates
    from kiosk.storage.sealing import load_private_key

    store = Path(args.store)
    if not store.is_dir():
        raise CliError(f"{store}: no such folder")
    scan = find_duplicates(store, load_private_key(Path(args.key)))
    if args.json:
        doc = {
            "captures": scan.total,
            "duplicates": {uid: [c.__dict__ for c in caps] for uid, caps in scan.duplicates.items()},
            "unreadable": scan.unreadable,
            "id_conflicts": scan.id_conflicts,
        }
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        print(f"{scan.total} captures, {len(scan.duplicates)} students photographed more than once")
        for uid, caps in scan.duplicates.items():
            booths = ", ".join(sorted({c.kiosk_id for c in caps}))
            print(f"uid {uid}: {len(caps)} captures from {booths}")
            for c in caps:
                print(f"  {c.taken_at}  {c.kiosk_id}  {c.capture_id}")
        for line in scan.id_conflicts:
            print(f"capture id used by two booths: {line}")
        for line in scan.unreadable:
            print(f"unreadable: {line}")
    return 1 if scan.duplicates or scan.id_conflicts else 0


# --- the technician's queue commands ---------------------------------------------------------------


def _outbox(args: argparse.Namespace, need_key: bool = False) -> Any:
    from kiosk.queue.outbox import Outbox

    return Outbox.from_config(config_from_args(args), need_key=need_key)


def cmd_status(args: argparse.Namespace) -> int:
    from kiosk.upload.state import StateFile, describe

    with _outbox(args) as outbox:
        status = outbox.status()
        uploader = StateFile(outbox.dir).read()
    if args.json:
        doc = status.to_dict()
        doc["uploader"] = {"summary": describe(uploader), **(uploader.to_dict() if uploader else {})}
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        return 0
    c = status.counts
    print(
        f"queue:          {c['pending']} pending, {c['uploading']} uploading, {c['done']} done, "
        f"{c['quarantined']} quarantined, {status.voided} voided"
    )
    print(f"oldest waiting: {age(status.oldest_pending_age_s)}")
    print(f"next attempt:   {'-' if status.next_attempt_in_s is None else 'in ' + age(status.next_attempt_in_s)}")
    if status.last_error:
        print(
            f"last error:     {status.last_error} (capture {status.last_error_capture}, "
            f"{age(status.last_error_age_s)} ago)"
        )
    else:
        print("last error:     none")
    print(f"uploader:       {describe(uploader)}")
    if status.rebuilt:
        r = status.rebuilt
        when = datetime.fromtimestamp(r["at"]).astimezone().strftime("%Y-%m-%d %H:%M")
        print(
            f"queue rebuilt:  {when}: the database was damaged ({r['problem']}); {r['requeued']} envelopes queued"
            f" again, {r['quarantined']} quarantined; damaged copy kept as {r['moved_to']}"
        )
    verdict = "ok" if status.free_ok else "TOO LOW: the booth refuses new sessions"
    print(f"free space:     {status.free_mb:.0f} MB (minimum {status.min_free_mb} MB): {verdict}")
    for q in status.quarantined:
        print(f"quarantined:    {q['capture_id']}  {q['reason']}")
    return 0


def cmd_retry(args: argparse.Namespace) -> int:
    if bool(args.capture_id) == bool(args.all_quarantined):
        raise CliError("queue retry: give one capture ID or --all-quarantined")
    with _outbox(args) as outbox:
        if args.all_quarantined:
            ids = outbox.retry_all_quarantined()
            print(f"{len(ids)} quarantined captures set to retry now")
        else:
            outbox.retry(args.capture_id)
            print(f"capture {args.capture_id} set to retry now")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    with _outbox(args) as outbox:
        copied = outbox.export(Path(args.to), include_quarantined=args.include_quarantined)
    print(f"{len(copied)} sealed envelopes copied to {args.to}")
    return 0


def queue_add(
    config: Config,
    photo: Path,
    *,
    uid: str,
    name: str,
    idn: str,
    school: str,
    level: str,
    checker: Any = None,
    answered: Sequence[str] = (),
    capture_id: str | None = None,
    announce: Callable[[str], None] | None = None,
) -> str:
    """Seal and queue a technician's photo; return its capture id.

    ``checker(photo_jpeg, profile) -> (report dict, photo to queue)`` is the compliance check to run
    first (None: the photo is queued unchecked and its report says so). ``answered``: the asked checks
    the student says do not apply (a photo with an unanswered asked check is refused, naming them).

    The capture id is the idempotency key: ``capture_id`` when given, else one derived from the student
    and the photo (see :func:`manual_capture_id`), so running the same command again after a crash or a
    kill queues nothing new. ``announce(capture_id)`` is called before any work is done.
    """
    from kiosk.core.images import MAX_FILE_BYTES, ImageRefused, ImageTooLarge, check_pixels
    from kiosk.queue.outbox import Outbox
    from kiosk.upload.manual import manual_capture

    try:
        if Path(photo).stat().st_size > MAX_FILE_BYTES:
            raise CliError(f"{photo}: the file is over the limit of {MAX_FILE_BYTES / 1e6:.0f} MB")
        data = Path(photo).read_bytes()
    except OSError as exc:
        raise CliError(f"{photo}: cannot read ({exc.strerror})") from None
    try:
        check_pixels(data)  # from the header: a huge declaration is refused before anything decodes it
    except ImageTooLarge as exc:
        raise CliError(f"{photo}: {exc}") from None
    except ImageRefused:
        pass  # not an image: manual_capture says so ("not a JPEG file")
    capture_id = _parse_capture_id(capture_id) if capture_id else manual_capture_id(config, uid, data)
    if announce is not None:
        announce(capture_id)
    with Outbox.from_config(config, need_key=True) as outbox:
        if outbox.get(capture_id) is not None:
            log.warning("capture %s is already queued: nothing added", capture_id)
            return capture_id
        # An envelope on disk without its row (a run killed between the two) is not queued yet: go on,
        # and the submit below commits the row for the envelope already written, without resealing.
        if not outbox.free_ok():
            raise CliError(f"less than {outbox.min_free_mb} MB free in {config.data_dir}: export the queue first")
        try:
            capture = manual_capture(
                data,
                uid=uid,
                name=name,
                idn=idn,
                school=school,
                level=level,
                kiosk_id=config.kiosk.id,
                profile=config.compliance.profile,
                taken_at=datetime.now().astimezone(),
                checker=checker,
                answered=answered,
                capture_id=capture_id,
            )
        except ValueError as exc:
            raise CliError(f"{photo}: {exc}") from None
        outbox.submit(capture)
    return capture.capture_id


def manual_capture_id(config: Config, uid: str, photo: bytes) -> str:
    """The default idempotency key of ``queue add``: a UUID keyed by this booth's secret over uid and photo.

    The same student with the same photo file gives the same id, so a technician's natural retry of a
    killed command cannot queue the student twice; the secret keeps the uid from being guessed from it.
    """
    import hashlib
    import hmac
    import uuid

    from kiosk.storage.records import load_secret

    secret = load_secret(config.data_dir / "secret.key")
    digest = hmac.new(secret, b"queue-add\0" + uid.encode() + b"\0" + hashlib.sha256(photo).digest(), "sha256")
    return str(uuid.UUID(bytes=digest.digest()[:16], version=4))


def _parse_capture_id(text: str) -> str:
    import uuid

    try:
        return str(uuid.UUID(text.strip()))
    except ValueError:
        raise CliError(f"--capture-id: {text!r} is not a capture id (expected a UUID)") from None


def booth_photo_checker(config: Config) -> Any:
    """The booth's compliance check and photo maker for a technician's photo.

    A photo already at the registration size is queued as it is; a camera still is cut to the spec
    photo the same way the booth does it.
    """
    import cv2
    import numpy as np

    from kiosk.output import GeometryError
    from kiosk.output.photo import OUT_H, OUT_W, PhotoFormatter
    from kiosk.vision.calibration import Calibration
    from kiosk.vision.checker import ComplianceChecker
    from kiosk.vision.profiles import load_profile

    checker = ComplianceChecker(config.compliance.profile, calibration=Calibration.load(config.data_dir))
    formatter = PhotoFormatter.from_profile(load_profile(config.compliance.profile))

    def check(photo_jpeg: bytes, profile: str) -> tuple[dict[str, Any], bytes]:
        image = cv2.imdecode(np.frombuffer(photo_jpeg, np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise ValueError("not a readable JPEG")
        report = checker.check(image)
        if not report.passed or image.shape[:2] == (OUT_H, OUT_W):
            return report.to_dict(), photo_jpeg
        try:
            return report.to_dict(), formatter(image, report)
        except GeometryError as exc:
            return report.with_failure("head_geometry", exc.message).to_dict(), photo_jpeg

    return check


def cmd_add(args: argparse.Namespace) -> int:
    from kiosk.cli.identity import ARGV_REFUSED, read_identity

    if args.name is not None or args.idn is not None:
        raise CliError(ARGV_REFUSED)
    config = config_from_args(args)
    photo = Path(args.photo)
    if not photo.is_file():  # say so before asking for the name and ID number
        raise CliError(f"{photo}: cannot read (no such file)")
    name, idn = read_identity()
    answered = [check.strip() for check in args.answered.split(",") if check.strip()]

    def announce(capture_id: str) -> None:  # first, so an interrupted run can be retried with this id
        print(f"capture id {capture_id} (if this command is interrupted, run it again: it is queued once)", flush=True)

    capture_id = queue_add(
        config,
        photo,
        uid=args.uid,
        name=name,
        idn=idn,
        school=args.school,
        level=args.level,
        checker=booth_photo_checker(config),
        answered=answered,
        capture_id=args.capture_id,
        announce=announce,
    )
    print(f"queued capture {capture_id}")
    return 0
