"""Turn ``[upload] target`` and its options into a delivery target."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from kiosk.core.config import UploadSection
from kiosk.upload.outcome import Target, TargetError

if TYPE_CHECKING:
    from kiosk.upload.http import Connection


def read_token(upload: UploadSection) -> str:
    """The bearer token: ``token_file`` (preferred, kept out of the config) or ``token``."""
    if upload.token_file:
        path = Path(upload.token_file).expanduser()
        try:
            token = path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise TargetError(f"upload.token_file: {path}: no such file") from None
        except OSError as exc:
            raise TargetError(f"upload.token_file: {path}: cannot read ({exc.strerror})") from None
        if not token:
            raise TargetError(f"upload.token_file: {path} is empty")
        return token
    return upload.token


def tls_verify(upload: UploadSection) -> bool | str:
    if not upload.verify_tls:
        return False
    if upload.ca_file:
        path = Path(upload.ca_file).expanduser()
        if not path.is_file():
            raise TargetError(f"upload.ca_file: {path}: no such file")
        return str(path)
    return True


def connection_for(
    url: str, upload: UploadSection, timeout_s: float | None = None, option: str = "upload.target"
) -> Connection:
    """The HTTP connection the uploader would use for ``url`` under ``upload``'s TLS settings.

    ``url`` must pass the uploader's endpoint rule (``https://``, or ``http://`` to this machine);
    ``timeout_s`` defaults to ``upload.timeout_s``. Raises ``TargetError`` (naming ``option``) for an endpoint
    the uploader refuses, and for a missing CA file.
    """
    from kiosk.upload.http import check_endpoint, open_connection

    check_endpoint(url, option)
    timeout = upload.timeout_s if timeout_s is None else timeout_s
    return open_connection(url, verify=tls_verify(upload), timeout_s=timeout)


def make_target(url: str, upload: UploadSection, default_dir: Path | None = None) -> Target:
    """Build the target for ``url`` (``https://``, loopback ``http://``, ``s3://``, ``dir:///``).

    ``default_dir`` is the folder used when ``upload.target`` is empty; it is created if missing, while a
    configured folder must already exist (a USB stick that is not mounted must not be written under).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("https", "http"):
        from kiosk.upload.http import HttpTarget

        token = read_token(upload)
        return HttpTarget(url, token=token, connection=connection_for(url, upload))
    if scheme == "s3":
        from kiosk.upload.s3 import S3Target

        return S3Target(
            parts.netloc,
            unquote(parts.path),
            endpoint_url=upload.s3_endpoint_url,
            region=upload.s3_region,
            access_key_id=upload.s3_access_key_id,
            secret_access_key=upload.s3_secret_access_key,
            timeout_s=upload.timeout_s,
            verify=tls_verify(upload),
        )
    if scheme == "dir":
        from kiosk.upload.dirtarget import DirTarget

        if parts.netloc or not parts.path.startswith("/"):
            raise TargetError(f"upload.target: {url!r}: write dir:///absolute/path (three slashes)")
        folder = Path(unquote(parts.path))
        is_default = default_dir is not None and folder == Path(default_dir)
        return DirTarget(folder, create=is_default)
    raise TargetError(
        f"upload.target: {url!r}: expected 'https://host/base', 'http://127.0.0.1:port', "
        "'s3://bucket/prefix' or 'dir:///path'"
    )
