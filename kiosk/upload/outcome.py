"""What one upload attempt came to, and how the protocol's answers map onto it.

Every target (https, s3, folder) reduces its result to an :class:`Outcome`, so the uploader loop treats
them alike: done, quarantine (keep the file, alert staff), retry slowly (credentials or configuration:
keep everything) or retry with backoff (network, overload).
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol


class Action(enum.Enum):
    DONE = "done"
    QUARANTINE = "quarantine"
    RETRY_SLOW = "retry-slowly"
    RETRY = "retry-with-backoff"


@dataclass(frozen=True)
class Outcome:
    action: Action
    detail: str  # short, for the log and ``queue status``; never anything about the student
    retry_after: float | None = None


@dataclass(frozen=True)
class UploadItem:
    """What a target needs to know about one envelope besides its bytes."""

    capture_id: str
    kiosk_id: str
    day: str  # YYYY-MM-DD
    sha256: str
    size: int


class Target(Protocol):
    """Somewhere envelopes are delivered to."""

    description: str  # for the log: no token, no secret

    def put(self, item: UploadItem, body: bytes) -> Outcome:
        """Deliver one envelope; never raise for a delivery problem, answer an Outcome instead."""

    def close(self) -> None: ...


class TargetError(ValueError):
    """A target that cannot be used as configured; one line for the technician."""


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def stored_sha256(headers: dict[str, str] | object, body: bytes) -> str | None:
    """The sha256 the centre says it holds, from a ``Content-SHA256`` header or a JSON ``sha256`` field."""
    get = getattr(headers, "get", None)
    value = get("Content-SHA256") if get else None
    if value:
        return str(value).strip().lower()
    try:
        doc = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(doc, dict) and isinstance(doc.get("sha256"), str):
        return doc["sha256"].strip().lower()
    return None


def classify_http(status: int, headers: object, body: bytes, sha256: str) -> Outcome:
    """The protocol's answers table."""
    retry_after = parse_retry_after(getattr(headers, "get", lambda _k: None)("Retry-After"))
    if status == 201:
        return Outcome(Action.DONE, "stored (201)")
    if status == 200:
        return Outcome(Action.DONE, "already stored (200)")
    if status == 409:
        theirs = stored_sha256(headers, body)
        if theirs == sha256:
            return Outcome(Action.DONE, "already stored (409, same sha256)")
        return Outcome(Action.QUARANTINE, "centre holds a different capture under this id (409); staff must check")
    if status in (400, 413, 422):
        return Outcome(Action.QUARANTINE, f"centre rejected the envelope ({status}); staff must check")
    if status in (401, 403):
        return Outcome(Action.RETRY_SLOW, f"centre refused the credentials ({status}); check the upload token")
    if status in (408, 429) or 500 <= status <= 599:
        return Outcome(Action.RETRY, f"centre busy or failing ({status})", retry_after)
    # Anything else (a 204 or 202, a redirect, 404, 405...) is not a confirmation the protocol knows, and
    # likely means the target URL is wrong: keep everything and try slowly rather than risk a loss.
    return Outcome(Action.RETRY_SLOW, f"unexpected answer {status}; check upload.target", retry_after)
