"""Cross-site request forgery protection for the staff console's forms and JSON posts.

Each session carries one random token. Every form carries it in a hidden ``csrf_token`` field and every
``fetch`` post sends it as ``X-CSRF-Token``; a POST without the session's token is refused before it
reaches any action. The session cookie is also ``SameSite=Strict``, so another site's page cannot even
send it; the token covers browsers and proxies that get that wrong.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping, MutableMapping
from typing import Any, Protocol

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
_KEY = "csrf"


def token(session: MutableMapping[str, Any]) -> str:
    """The session's token, made on first use."""
    value = session.get(_KEY)
    if not isinstance(value, str):
        value = secrets.token_urlsafe(32)
        session[_KEY] = value
    return value


class Lookup(Protocol):
    """What a form or the request headers offer: a value by name, or None (werkzeug's Headers is no Mapping)."""

    def get(self, key: str, /) -> str | None: ...


def valid(session: Mapping[str, Any], form: Lookup, headers: Lookup) -> bool:
    """Whether a POST carries the session's token (in the form or the header)."""
    expected = session.get(_KEY)
    sent = form.get(FIELD) or headers.get(HEADER) or ""
    return isinstance(expected, str) and bool(sent) and hmac.compare_digest(expected.encode(), sent.encode())
