"""Delivery over HTTPS (or plain HTTP to this machine only): ``PUT {base}/v1/captures/{capture_id}``.

TLS verification is on unless the config turns it off. Plain ``http://`` is refused for anything but a
loopback address: the envelope is sealed, but the bearer token is not, and a booth's token must not
cross a network in clear.
"""

from __future__ import annotations

import logging
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
    ) -> None:
        parts = urlsplit(base_url)
        check_endpoint(base_url, "upload.target")
        self.base = base_url.rstrip("/")
        self.description = f"{parts.scheme}://{parts.netloc}{parts.path}"
        self.token = token
        self.timeout_s = timeout_s
        self.session = session or requests.Session()
        if parts.scheme == "http":
            self.session.trust_env = False  # loopback: never through a proxy
        self.verify = verify  # passed per request: requests lets REQUESTS_CA_BUNDLE override session.verify
        if parts.scheme == "https" and verify is False:
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
            resp = self.session.put(
                self.url_for(item.capture_id),
                data=body,
                headers=headers,
                timeout=(self.timeout_s, self.timeout_s),
                allow_redirects=False,
                verify=self.verify,
            )
        except requests.exceptions.SSLError as exc:
            if "CERTIFICATE_VERIFY_FAILED" in str(exc) or "certificate verify failed" in str(exc):
                return Outcome(Action.RETRY_SLOW, "centre's TLS certificate is not trusted; check upload.ca_file")
            return Outcome(Action.RETRY, "TLS handshake failed")
        except requests.exceptions.Timeout:
            return Outcome(Action.RETRY, f"no answer within {self.timeout_s:g} s")
        except requests.exceptions.ConnectionError:
            return Outcome(Action.RETRY, "cannot reach the centre (connection failed)")
        except requests.exceptions.RequestException as exc:
            return Outcome(Action.RETRY, f"request failed ({type(exc).__name__})")
        with resp:
            return classify_http(resp.status_code, resp.headers, resp.content, item.sha256)

    def close(self) -> None:
        self.session.close()
