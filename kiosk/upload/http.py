"""Delivery over HTTPS (or plain HTTP to this machine only): ``PUT {base}/v1/captures/{capture_id}``.

TLS verification is on unless the config turns it off. Plain ``http://`` is refused for anything but a
loopback address: the envelope is sealed, but the bearer token is not, and a booth's token must not
cross a network in clear.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from kiosk.core.config import is_loopback
from kiosk.upload.outcome import Action, Outcome, TargetError, UploadItem, classify_http

log = logging.getLogger(__name__)


def check_endpoint(url: str, option: str) -> None:
    """The one rule for every network endpoint the booth sends to (HTTP target, S3 endpoint):
    ``https://`` anywhere, plain ``http://`` only to this machine. Raise ``TargetError`` otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise TargetError(f"{option}: {url!r} is not an http(s) URL")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise TargetError(
            f"{option}: plain http:// is only allowed to this machine (127.0.0.1, [::1], localhost),"
            f" not {parts.hostname!r}; use https://"
        )
    if parts.username or parts.password:
        raise TargetError(f"{option}: put credentials in upload.token_file (or the s3_* options), not in the URL")


@dataclass
class Connection:
    """How the booth talks HTTP to the centre: one requests session (certifi's CA bundle unless a CA file
    is configured), one TLS setting, one timeout, redirects never followed.

    The uploader sends through it and the self-test's reachability probe asks through it, so the two
    cannot come to different conclusions about the centre's certificate.
    """

    session: requests.Session
    verify: bool | str  # passed per request: requests lets REQUESTS_CA_BUNDLE override session.verify
    timeout_s: float

    def request(
        self, method: str, url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None
    ) -> requests.Response:
        return self.session.request(
            method,
            url,
            data=data,
            headers=headers,
            timeout=(self.timeout_s, self.timeout_s),
            allow_redirects=False,
            verify=self.verify,
        )

    def close(self) -> None:
        self.session.close()


def open_connection(
    url: str, *, verify: bool | str = True, timeout_s: float = 30.0, session: requests.Session | None = None
) -> Connection:
    """The connection for ``url``: a plain ``http://`` one (loopback only) never goes through a proxy."""
    session = session or requests.Session()
    if urlsplit(url).scheme == "http":
        session.trust_env = False
    return Connection(session, verify, timeout_s)


def certificate_untrusted(exc: BaseException) -> bool:
    """Whether a request failed because the centre's TLS certificate is not trusted (not a network fault)."""
    text = str(exc)
    return "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text


def failure_outcome(exc: requests.exceptions.RequestException, timeout_s: float) -> Outcome:
    """What a request that got no answer means for the capture being sent."""
    if isinstance(exc, requests.exceptions.SSLError):
        if certificate_untrusted(exc):
            return Outcome(Action.RETRY_SLOW, "centre's TLS certificate is not trusted; check upload.ca_file")
        return Outcome(Action.RETRY, "TLS handshake failed")
    if isinstance(exc, requests.exceptions.Timeout):
        return Outcome(Action.RETRY, f"no answer within {timeout_s:g} s")
    if isinstance(exc, requests.exceptions.ConnectionError):
        return Outcome(Action.RETRY, "cannot reach the centre (connection failed)")
    return Outcome(Action.RETRY, f"request failed ({type(exc).__name__})")


class HttpTarget:
    """The collection centre's HTTP API (or ``kiosk receiver``)."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str = "",
        timeout_s: float = 30.0,
        verify: bool | str = True,
        session: requests.Session | None = None,
        connection: Connection | None = None,
    ) -> None:
        """``connection`` (from ``kiosk.upload.targets.connection_for``) replaces timeout_s, verify and session."""
        parts = urlsplit(base_url)
        check_endpoint(base_url, "upload.target")
        self.base = base_url.rstrip("/")
        self.description = f"{parts.scheme}://{parts.netloc}{parts.path}"
        self.token = token
        self.connection = connection or open_connection(base_url, verify=verify, timeout_s=timeout_s, session=session)
        self.timeout_s = self.connection.timeout_s
        self.session = self.connection.session
        self.verify = self.connection.verify
        if parts.scheme == "https" and self.verify is False:
            log.warning("TLS certificate checks are OFF for %s (upload.verify_tls = false)", self.description)
        if not token:
            log.warning("no upload token configured for %s", self.description)

    def url_for(self, capture_id: str) -> str:
        return f"{self.base}/v1/captures/{capture_id}"

    def put(self, item: UploadItem, body: bytes) -> Outcome:
        headers = {
            "Content-Type": "application/octet-stream",
            "Idempotency-Key": item.capture_id,
            "Content-SHA256": item.sha256,
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            resp = self.connection.request("PUT", self.url_for(item.capture_id), data=body, headers=headers)
        except requests.exceptions.RequestException as exc:
            return failure_outcome(exc, self.timeout_s)
        with resp:
            return classify_http(resp.status_code, resp.headers, resp.content, item.sha256)

    def close(self) -> None:
        self.connection.close()
