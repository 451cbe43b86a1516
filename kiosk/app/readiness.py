"""Can this booth serve students? The set-up half of the self-test: keys, credentials, staff access, calibration.

The hardware checks in ``kiosk.app.hardware`` ask whether each part works; these ask whether the technician
has finished the first-boot steps (docs/install.md): the centre's keyring and public key in the data
folder, the upload credentials, a staff password, this booth's calibration. They read files only, never
the camera or the pins, so the systemd units run the key, credential and password checks before every
start (``kiosk selftest --gate``, as ExecCondition=; ``GATE_CHECKS`` in ``kiosk.app.selftest``): a booth
that cannot serve does not start, instead of restarting in a loop.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from urllib.parse import urlsplit

from kiosk.app.checks import CheckResult, fail, ok, skip
from kiosk.core.config import Config

INSTALL_GUIDE = "docs/install.md, 'First boot'"


def check_keyring(config: Config) -> CheckResult:
    """The keyring that decrypts capture codes: present, readable by this user, valid."""
    from kiosk.codes.keyring import Keyring, KeyringError

    path = config.keyring_path
    try:
        keyring = Keyring.load(path)
    except KeyringError as exc:
        return fail(
            "keyring",
            str(exc),
            f"copy the centre's keyring.toml there: sudo install -o kiosk -g kiosk -m 0600 keyring.toml {path} "
            f"({INSTALL_GUIDE})",
        )
    return ok("keyring", f"{path}: {len(keyring.keys)} key(s)")


def check_centre_key(config: Config) -> CheckResult:
    """The collection centre's public key, which seals every accepted photo."""
    from kiosk.queue.outbox import centre_key_path
    from kiosk.storage.sealing import KeyFileError, load_public_key

    path = centre_key_path(config)
    try:
        load_public_key(path)
    except KeyFileError as exc:
        return fail(
            "centre_key",
            str(exc),
            f"copy the centre's centre.pub there: sudo install -o kiosk -g kiosk -m 0644 centre.pub {path} "
            f"({INSTALL_GUIDE})",
        )
    return ok("centre_key", f"{path}: a valid public key")


def check_credentials(
    config: Config, has_module: Callable[[str], bool] = lambda name: importlib.util.find_spec(name) is not None
) -> CheckResult:
    """What the uploader needs to be let in: a token for https; for S3, boto3 and keys (or the machine's role).

    A missing boto3 is checked here, with the files, so ``selftest --gate uploader`` keeps an S3 uploader
    that could never send anything from starting (and restarting every 10 s) with a one-line reason.
    """
    from kiosk.upload.outcome import TargetError
    from kiosk.upload.s3 import BOTO3_MISSING
    from kiosk.upload.targets import read_token

    url = config.upload_target
    scheme = urlsplit(url).scheme.lower()
    up = config.upload
    if scheme == "dir":
        return skip("credentials", "a folder target needs none")
    if scheme in ("http", "https"):
        try:
            token = read_token(up)
        except TargetError as exc:
            return fail("credentials", str(exc), "put the centre's upload token in that file, mode 0600, owner kiosk")
        if not token:
            return fail(
                "credentials",
                f"{url}: no upload token",
                "write the centre's token to /var/lib/kiosk/upload-token (owner kiosk, mode 0600) and set "
                f"upload.token_file to it ({INSTALL_GUIDE})",
            )
        where = f"upload.token_file {up.token_file}" if up.token_file else "upload.token"
        return ok("credentials", f"a token from {where}")
    if scheme == "s3":
        if not has_module("boto3"):
            return fail("credentials", BOTO3_MISSING, "an S3 booth is installed with: sudo systemd/install.sh --s3")
        if bool(up.s3_access_key_id) != bool(up.s3_secret_access_key):
            return fail(
                "credentials",
                "only one of upload.s3_access_key_id and upload.s3_secret_access_key is set",
                "set both, or neither (then the standard AWS credential chain is used)",
            )
        if up.s3_access_key_id:
            return ok("credentials", "S3 keys from the config")
        return skip("credentials", "S3 keys not in the config: the standard AWS credential chain decides")
    return fail("credentials", f"unknown upload target {url!r}", "see [upload] target in kiosk.example.toml")


def check_staff_password(config: Config) -> CheckResult:
    """At least one staff password, so the console (pause, batches, the queue) can be reached."""
    from kiosk.staff.auth import PasswordFile

    if not config.staff.enabled:
        return skip("staff", "the staff console is turned off (staff.enabled = false)")
    passwords = PasswordFile.for_data_dir(config.data_dir)
    users = passwords.users()
    if not users:
        return fail(
            "staff",
            f"no staff password is set ({passwords.path} has none)",
            f"sudo -u kiosk kiosk passwd --data {config.data_dir}   then staff sign in at "
            f"http://{config.staff.host}:{config.staff.port}/staff/ ({INSTALL_GUIDE})",
        )
    return ok(
        "staff",
        f"{len(users)} staff account(s); console at http://{config.staff.host}:{config.staff.port}/staff/",
    )


def check_calibration(config: Config) -> CheckResult:
    """This booth's backdrop colour and pose zero, measured on the booth (``kiosk calibrate``)."""
    from kiosk.vision.calibration import FRESH, MISSING, Calibration

    calibration = Calibration.load(config.data_dir)
    status = calibration.status()
    how = "sudo systemctl stop kiosk; sudo -u kiosk kiosk calibrate   (empty backdrop), then --pose (someone seated)"
    if status == MISSING:
        return fail("calibration", "the backdrop has not been measured on this booth", how)
    if status != FRESH:
        return fail("calibration", f"stale: {calibration.summary()}", f"measure again: {how}")
    return ok("calibration", calibration.summary())
