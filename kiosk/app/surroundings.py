"""The self-test's checks of the booth's surroundings: room on the disk, the clock, the upload target.

Each is built on the probe the staff dashboard and the metrics use too (``kiosk.ops.probes``), so the
self-test cannot see a different disk, clock or centre than they do; the centre is asked through the
uploader's own connection. The self-test never writes into the data folder, except for a probe file it
deletes at once when the upload target is a folder there.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from kiosk.app.checks import CheckResult, fail, ok, skip
from kiosk.core.config import Config
from kiosk.ops.probes import Runner, probe_centre, probe_clock, probe_disk_free, probe_writable
from kiosk.ops.probes.centre import Head, head_status
from kiosk.upload.s3 import BOTO3_MISSING

# -- disk, clock -----------------------------------------------------------------------------------


def check_disk(
    data_dir: Path,
    min_free_mb: int,
    disk_usage: Callable[[Path], Any] = shutil.disk_usage,
    writable: Callable[[Path], bool] | None = None,
) -> CheckResult:
    """Free space where the data folder lives, against the watermark below which the booth pauses."""
    space = probe_disk_free(data_dir, min_free_mb, disk_usage)
    free_mb = None if space.value is None else int(space.value.free_bytes // (1024 * 1024))
    data = {"free_mb": free_mb, "min_free_mb": min_free_mb, "path": str(data_dir)}
    access = probe_writable(data_dir, writable)
    if access.failed:
        return fail(
            "disk",
            access.detail,
            "run the self-test as the kiosk user (sudo -u kiosk ...); the data folder belongs to kiosk, mode 0700",
            **data,
        )
    if space.failed:
        return fail(
            "disk",
            space.detail,
            "make room: check that the uploader runs (journalctl -u kiosk-uploader), lower upload.retention_days, "
            "or use a bigger SD card",
            **data,
        )
    return ok("disk", space.detail, **data)


def check_clock(
    run: Runner | None = None,
    now: Callable[[], datetime] = lambda: datetime.now().astimezone(),
) -> CheckResult:
    """Whether the clock is synchronised: capture codes carry their issue time and are checked against it.

    ``run`` answers for ``timedatectl`` (the real command unless a test says otherwise).
    """
    stamp = now().isoformat(timespec="seconds")
    synced = probe_clock(run, timeout_s=5.0)
    if synced.value is None:
        return skip("clock", f"{synced.detail}; the clock says {stamp}")
    if synced.ok:
        return ok("clock", f"{synced.detail}; {stamp}")
    return fail(
        "clock",
        f"{synced.detail}; the clock says {stamp}",
        "connect the booth to a network with internet (or an NTP server) and wait a minute; offline booths "
        "need a battery-backed clock (Pi 5: an RTC battery) set once with 'sudo timedatectl set-time'",
    )


# -- upload target ---------------------------------------------------------------------------------


def check_upload(
    config: Config,
    probe: Head = head_status,
    has_module: Callable[[str], bool] = lambda name: importlib.util.find_spec(name) is not None,
    timeout_s: float = 5.0,
) -> CheckResult:
    """Whether the upload target can be reached: a folder must be writable, a server must answer."""
    url = config.upload_target
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "dir":
        return _check_folder_target(Path(unquote(parts.path)), config.data_dir / "upload")
    if scheme in ("http", "https"):
        return _check_server(url, probe, timeout_s, config)
    if scheme == "s3":
        if not has_module("boto3"):
            return fail("upload", BOTO3_MISSING, "an S3 booth is installed with: sudo systemd/install.sh --s3")
        region = config.upload.s3_region or "us-east-1"
        endpoint = config.upload.s3_endpoint_url or f"https://s3.{region}.amazonaws.com"
        result = _check_server(endpoint, probe, timeout_s, config, "upload.s3_endpoint_url")
        if result.failed:
            return result
        return ok("upload", f"{url}: endpoint {endpoint} answers (credentials are checked by the first upload)")
    return fail("upload", f"unknown upload target {url!r}", "see [upload] target in kiosk.example.toml")


def _check_folder_target(folder: Path, default: Path) -> CheckResult:
    if not folder.is_dir():
        if folder == default:
            return ok("upload", f"{folder}: made on first use (the default folder inside the data folder)")
        return fail(
            "upload",
            f"{folder} does not exist",
            "is the USB stick plugged in and mounted there? The uploader only writes into an existing folder",
        )
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".kiosk-selftest-"):
            pass
    except OSError as exc:
        return fail(
            "upload",
            f"{folder} is not writable: {exc.strerror or exc}",
            "the kiosk user must be able to write there (mount option uid=kiosk for a FAT stick; "
            "ReadWritePaths= in 'systemctl edit kiosk-uploader')",
        )
    return ok("upload", f"{folder} is writable")


def _check_server(url: str, head: Head, timeout_s: float, config: Config, option: str = "upload.target") -> CheckResult:
    """Ask the server through the uploader's own connection (``kiosk.ops.probes.probe_centre``)."""
    reached = probe_centre(url, config.upload, timeout_s, head, option)
    answer = reached.value
    if answer.http_status is None:
        hint = "check the network cable or Wi-Fi, DNS, and the address in [upload] target"
        if answer.refused_by_config:
            hint = "the uploader refuses this too: see [upload] in kiosk.example.toml"
        elif answer.tls_refused:
            hint = "the centre's TLS certificate is not trusted: set upload.ca_file to the CA that signs it"
        return fail("upload", reached.detail, hint)
    if reached.failed:
        return fail(
            "upload",
            reached.detail,
            "the centre's server reports an error: tell the centre; photos wait safely in the queue",
        )
    return ok("upload", reached.detail, http_status=answer.http_status)
