"""Can the centre (or the S3 endpoint) be reached, over TLS the way the uploader checks it?

The question is asked through the uploader's own connection (``kiosk.upload.targets.connection_for``:
the same requests session, certifi's CA bundle or the configured ``upload.ca_file``, ``verify_tls``,
the same endpoint rule), so a certificate the uploader would refuse is refused here too. Any HTTP
answer below 500 counts as reached: the probe sends a ``HEAD`` to the base address, which a centre
need not implement.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.core.config import UploadSection
from kiosk.ops.probes.result import Level, ProbeResult

# Asks ``url`` with ``timeout_s`` under ``upload``'s TLS settings; the HTTP status, or raises.
Head = Callable[[str, float, UploadSection], int]


@dataclass(frozen=True)
class CentreAnswer:
    url: str
    http_status: int | None = None  # None: no answer
    error: str = ""  # why there was no answer, in the underlying library's words
    tls_refused: bool = False  # the TLS handshake failed, most often on a certificate not trusted
    refused_by_config: bool = False  # the uploader would not send there (endpoint rule, CA file missing)


def head_status(url: str, timeout_s: float, upload: UploadSection) -> int:
    """The status a ``HEAD`` to ``url`` gets over the uploader's connection; raises when none arrives."""
    from kiosk.upload.targets import connection_for

    connection = connection_for(url, upload, timeout_s)
    try:
        with connection.request("HEAD", url) as response:
            return int(response.status_code)
    finally:
        connection.close()


def probe_centre(
    url: str, upload: UploadSection, timeout_s: float = 5.0, head: Head = head_status, option: str = "upload.target"
) -> ProbeResult[CentreAnswer]:
    """Fails when ``url`` gives no answer (or a 5xx one), or when the uploader would refuse to send there
    (``option`` names the setting that holds ``url``); ``timeout_s`` is capped by ``upload.timeout_s``."""
    from kiosk.upload.http import check_endpoint
    from kiosk.upload.outcome import TargetError

    timeout_s = min(timeout_s, upload.timeout_s)
    try:
        check_endpoint(url, option)
        status = head(url, timeout_s, upload)
    except TargetError as exc:
        answer = CentreAnswer(url, error=str(exc), refused_by_config=True)
        return ProbeResult(Level.FAIL, f"{url} cannot be reached: {exc}", answer)
    except Exception as exc:
        cause = root_cause(exc)
        answer = CentreAnswer(url, error=describe(cause), tls_refused=_tls_refused(exc, cause))
        return ProbeResult(Level.FAIL, f"{url} cannot be reached: {describe(cause)}", answer)
    answer = CentreAnswer(url, http_status=status)
    if status >= 500:
        return ProbeResult(Level.FAIL, f"{url} answers HTTP {status}", answer)
    return ProbeResult(Level.OK, f"{url} answers (HTTP {status})", answer)


def _tls_refused(exc: BaseException, cause: BaseException) -> bool:
    from kiosk.upload.http import certificate_untrusted

    return certificate_untrusted(exc) or isinstance(cause, ssl.SSLError) or "CERTIFICATE" in str(cause).upper()


def root_cause(exc: BaseException) -> BaseException:
    """The innermost reason behind a failed request: the DNS, socket or TLS error, not its wrappers."""
    seen = {id(exc)}
    reason = getattr(exc, "reason", None)  # urllib's URLError carries it here
    current: BaseException = reason if isinstance(reason, BaseException) else exc
    while True:
        inner = current.__cause__ or current.__context__
        if inner is None:
            inner_reason = getattr(current, "reason", None)
            inner = inner_reason if isinstance(inner_reason, BaseException) else None
        if inner is None or id(inner) in seen:
            return current
        seen.add(id(inner))
        current = inner


def describe(exc: BaseException) -> str:
    """``SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] ...``: the type and the message, one line."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
