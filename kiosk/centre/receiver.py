"""Reference receiver for the upload protocol: what the collection centre runs, and what tests run against.

``PUT /v1/captures/<capture_id>`` with a sealed envelope as body. The receiver holds the centre's private
key only to prove an envelope opens (a corrupt one is refused with 422, so the kiosk keeps it and staff
hear of it); it stores the envelope sealed, as it came. Deduplication is by capture id: the same bytes
again answer 200, different bytes 409, so a kiosk that retries after a lost answer never stores twice.

Credentials: each booth has its own bearer token, bound to its kiosk id (token file lines
``<kiosk_id> <token>``). The token is checked from the request headers before the body is read (a
waitress parser hook answers 401 and closes the connection), and an envelope is stored only when the
kiosk id in its clear-text header is the one the token belongs to, so a stolen booth's token uploads as
that booth and no other. A revocation list (kiosk ids, one per line) refuses a booth outright with 403;
both files are read again when they change, so revoking needs no restart. Without tokens the receiver
refuses to start unless told ``--insecure-open`` (a test bench). See docs/security.md.

Served by waitress. It speaks plain HTTP: put TLS in front of it (a reverse proxy) when kiosks reach it
over a network.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from flask import Flask, Response, jsonify, request

from kiosk.centre.duplicates import CONFLICTS_DIR  # <kiosk_id>/<capture_id>.xce: a second booth's envelope
from kiosk.core.files import atomic_write
from kiosk.storage.sealing import (
    MAX_ENVELOPE_BYTES,
    SUFFIX,
    EnvelopeError,
    is_capture_id,
    open_envelope,
    parse_header,
    read_header_file,
)

log = logging.getLogger(__name__)


class CaptureStore:
    """Envelopes on disk, one file per capture id, written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.writes: Counter[str] = Counter()  # capture id -> times stored (1 when all is well)
        self.removed_temp_files = self.remove_stale_temp_files()

    def remove_stale_temp_files(self) -> int:
        """Delete ``.<id>.xce.<pid>.tmp`` files a killed receiver left behind; return how many.

        A temp file is only ever half an envelope (the rename never happened, so the sender got no
        answer and sends again). One whose writer process still runs is left alone.
        """
        removed = 0
        for path in self.root.glob(f".*{SUFFIX}.*.tmp"):
            pid_text = path.name.rsplit(".", 2)[-2]
            if pid_text.isdigit() and _process_alive(int(pid_text)) and int(pid_text) != os.getpid():
                continue
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed += 1
        if removed:
            log.warning("removed %d temporary files left by an interrupted receiver in %s", removed, self.root)
        return removed

    def path_for(self, capture_id: str) -> Path:
        return self.root / f"{capture_id}{SUFFIX}"

    def stored_sha256(self, capture_id: str) -> str | None:
        try:
            return hashlib.sha256(self.path_for(capture_id).read_bytes()).hexdigest()
        except FileNotFoundError:
            return None

    def stored_kiosk(self, capture_id: str) -> str | None:
        """The kiosk id in the clear-text header of the envelope stored under ``capture_id``."""
        try:
            return read_header_file(self.path_for(capture_id)).kiosk_id
        except (OSError, EnvelopeError):
            return None

    def conflict_path(self, kiosk_id: str, capture_id: str) -> Path:
        """Where a second booth's envelope under an id another booth already used is kept."""
        return self.root / CONFLICTS_DIR / kiosk_id / f"{capture_id}{SUFFIX}"

    def put_conflict(self, kiosk_id: str, capture_id: str, body: bytes, sha256: str) -> str | None:
        """Like ``put_new``, in the conflicts folder of ``kiosk_id``."""
        path = self.conflict_path(kiosk_id, capture_id)
        with self._lock:
            try:
                existing: str | None = hashlib.sha256(path.read_bytes()).hexdigest()
            except FileNotFoundError:
                existing = None
            if existing is not None:
                return existing
            atomic_write(path, body, mode=0o640)
            return None

    def put_new(self, capture_id: str, body: bytes, sha256: str) -> str | None:
        """Store ``body`` unless the id is taken; return the sha256 already stored, or None if stored now."""
        with self._lock:
            existing = self.stored_sha256(capture_id)
            if existing is not None:
                return existing
            atomic_write(self.path_for(capture_id), body, mode=0o640)
            self.writes[capture_id] += 1
            return None


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


ANY_BOOTH = "*"  # a token not bound to one kiosk id: only through the Python API, for test benches
KIOSK_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # a folder name under conflicts/, never ".."


class CredentialError(ValueError):
    """A token or revocation file that cannot be used; one line naming the file and line."""


def parse_tokens(text: str, where: str = "token file") -> dict[str, str]:
    """``<kiosk_id> <token>`` per line (blank lines and ``#`` comments ignored) -> {token: kiosk_id}."""
    tokens: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2 or KIOSK_ID_RE.fullmatch(parts[0]) is None:
            raise CredentialError(
                f"{where}: line {number}: expected '<kiosk id> <token>' (each booth has its own token)"
            )
        kiosk_id, token = parts
        if len(token) < 16:
            raise CredentialError(f"{where}: line {number}: token shorter than 16 characters")
        if token in tokens:
            raise CredentialError(f"{where}: line {number}: the same token is given to two booths")
        tokens[token] = kiosk_id
    return tokens


def parse_revoked(text: str) -> frozenset[str]:
    """Kiosk ids, one per line (``#`` comments allowed): booths whose uploads are refused."""
    return frozenset(ln.split("#", 1)[0].strip() for ln in text.splitlines() if ln.split("#", 1)[0].strip())


class _Watched:
    """A small file parsed again whenever its modification time or size changes."""

    def __init__(self, path: Path, parse: Callable[[str], Any]) -> None:
        self.path, self.parse = Path(path), parse
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._error = ""
        self.value = self._load()

    def _load(self) -> Any:
        st = self.path.stat()
        value = self.parse(self.path.read_text(encoding="utf-8"))
        self._stamp = (st.st_mtime_ns, st.st_size)
        return value

    def current(self) -> Any:
        with self._lock:
            try:
                st = self.path.stat()
                if (st.st_mtime_ns, st.st_size) != self._stamp:
                    self.value = self._load()
                    self._error = ""
            except (OSError, CredentialError) as exc:  # keep the last good list; say why once per problem
                if str(exc) != self._error:
                    log.error("%s: cannot reload (%s); keeping the previous list", self.path, exc)
                    self._error = str(exc)
                self._stamp = None
            return self.value


class Credentials:
    """Which token belongs to which booth, and which booths are revoked (both possibly read from files)."""

    def __init__(
        self,
        tokens: Mapping[str, str] | Sequence[str] | _Watched = (),
        revoked: Iterable[str] | _Watched = (),
        insecure_open: bool = False,
    ) -> None:
        if isinstance(tokens, _Watched):
            self._tokens: _Watched | dict[str, str] = tokens
        elif isinstance(tokens, Mapping):
            self._tokens = dict(tokens)
        else:  # bare tokens: any booth (the Python API's test benches; the token file never yields these)
            self._tokens = {t: ANY_BOOTH for t in tokens if t}
        self._revoked: _Watched | frozenset[str] = revoked if isinstance(revoked, _Watched) else frozenset(revoked)
        self.insecure_open = insecure_open
        if not self.tokens() and not insecure_open:
            raise CredentialError("no upload tokens: give a token file, or insecure_open for a closed test bench")

    @classmethod
    def from_files(cls, token_file: Path | None, revoked_file: Path | None, insecure_open: bool) -> Credentials:
        tokens: Any = _Watched(token_file, lambda t: parse_tokens(t, str(token_file))) if token_file else {}
        if token_file and not tokens.value:
            raise CredentialError(f"{token_file}: holds no token")
        revoked: Any = _Watched(revoked_file, parse_revoked) if revoked_file else ()
        return cls(tokens, revoked, insecure_open)

    def tokens(self) -> dict[str, str]:
        return self._tokens.current() if isinstance(self._tokens, _Watched) else self._tokens

    def revoked(self) -> frozenset[str]:
        return self._revoked.current() if isinstance(self._revoked, _Watched) else self._revoked

    def booth_for(self, authorization: str | None) -> str | None:
        """The kiosk id the bearer token belongs to (ANY_BOOTH when open), or None when it is not valid."""
        tokens = self.tokens()
        if not tokens and self.insecure_open:
            return ANY_BOOTH
        if not authorization or not authorization.startswith("Bearer "):
            return None
        given = authorization.removeprefix("Bearer ").strip().encode()
        found = None
        for token, kiosk_id in tokens.items():  # compare with every token: no early exit to time
            if hmac.compare_digest(given, token.encode()):
                found = kiosk_id
        return found


class Receiver:
    def __init__(
        self,
        private_key: X25519PrivateKey,
        store: Path,
        tokens: Credentials | Mapping[str, str] | Sequence[str] = (),
        max_bytes: int = MAX_ENVELOPE_BYTES,
    ) -> None:
        self.private_key = private_key
        self.store = CaptureStore(store)
        self.credentials = tokens if isinstance(tokens, Credentials) else Credentials(tokens)
        self.max_bytes = max_bytes
        self.answers: Counter[int] = Counter()  # status -> count, for the operator and the tests

    def authorised(self, header: str | None) -> bool:
        return self.credentials.booth_for(header) is not None

    def handle_put(self, capture_id: str, headers: Any, body: bytes) -> tuple[int, dict[str, Any]]:
        """The protocol, independent of Flask: return (status, JSON answer)."""
        booth = self.credentials.booth_for(headers.get("Authorization"))
        if booth is None:
            return 401, {"error": "unauthorised"}
        if booth != ANY_BOOTH and booth in self.credentials.revoked():
            return 403, {"error": "this booth's credential is revoked"}
        if not is_capture_id(capture_id):
            return 400, {"error": "capture id must be a UUID"}
        key = headers.get("Idempotency-Key")
        if key is not None and key != capture_id:
            return 400, {"error": "Idempotency-Key must equal the capture id"}
        claimed = (headers.get("Content-SHA256") or "").strip().lower()
        if not claimed:
            return 400, {"error": "Content-SHA256 header required"}
        sha256 = hashlib.sha256(body).hexdigest()
        if not hmac.compare_digest(claimed, sha256):
            return 400, {"error": "body does not match Content-SHA256"}
        try:
            header, _ = parse_header(body)
        except EnvelopeError as exc:
            return 422, {"error": f"not a capture envelope: {exc}"}
        if header.capture_id != capture_id:
            return 422, {"error": "envelope header names another capture id"}
        if booth not in (ANY_BOOTH, header.kiosk_id):
            log.warning("capture %s: token of %s used for an envelope of %s", capture_id, booth, header.kiosk_id)
            return 403, {"error": "this token belongs to another booth"}
        if header.kiosk_id in self.credentials.revoked():
            return 403, {"error": "this booth's credential is revoked"}
        existing = self.store.stored_sha256(capture_id)
        if existing is not None and existing != sha256 and self._squatted(capture_id, header.kiosk_id):
            return self._put_conflict(capture_id, header.kiosk_id, body, sha256)
        if existing is not None:
            return self._duplicate(capture_id, existing, sha256)
        try:
            open_envelope(body, self.private_key)
        except EnvelopeError as exc:
            log.warning("capture %s from %s refused: %s", capture_id, header.kiosk_id, exc)
            return 422, {"error": str(exc)}
        existing = self.store.put_new(capture_id, body, sha256)
        if existing is not None:  # another request stored it meanwhile
            return self._duplicate(capture_id, existing, sha256)
        log.info("capture %s from %s stored", capture_id, header.kiosk_id)
        return 201, {"capture_id": capture_id, "sha256": sha256, "stored": True}

    def _squatted(self, capture_id: str, kiosk_id: str) -> bool:
        """The id is taken by another booth's envelope: a stolen token got there first, or ids collided."""
        other = self.store.stored_kiosk(capture_id)
        return other is not None and other != kiosk_id and KIOSK_ID_RE.fullmatch(kiosk_id) is not None

    def _put_conflict(self, capture_id: str, kiosk_id: str, body: bytes, sha256: str) -> tuple[int, dict[str, Any]]:
        """Keep this booth's envelope beside the other one instead of refusing it: the booth would
        quarantine a good photo. Both are kept; ``kiosk duplicates`` shows the pair to the centre."""
        try:
            open_envelope(body, self.private_key)
        except EnvelopeError as exc:
            return 422, {"error": str(exc)}
        existing = self.store.put_conflict(kiosk_id, capture_id, body, sha256)
        if existing is not None:
            return self._duplicate(capture_id, existing, sha256)
        log.warning("capture %s: another booth's envelope already had this id; %s's kept apart", capture_id, kiosk_id)
        return 201, {"capture_id": capture_id, "sha256": sha256, "stored": True, "conflict": True}

    @staticmethod
    def _duplicate(capture_id: str, existing: str, sha256: str) -> tuple[int, dict[str, Any]]:
        if existing == sha256:
            return 200, {"capture_id": capture_id, "sha256": existing, "stored": True}
        log.warning("capture %s: a different envelope is already stored under this id", capture_id)
        return 409, {"capture_id": capture_id, "sha256": existing, "error": "another envelope has this id"}

    def app(self) -> Flask:
        app = Flask("kiosk.centre.receiver")
        app.config["MAX_CONTENT_LENGTH"] = self.max_bytes

        @app.put("/v1/captures/<capture_id>")
        def put_capture(capture_id: str) -> Response:
            if not self.authorised(request.headers.get("Authorization")):  # before touching the body
                self.answers[401] += 1
                return _answer(401, {"error": "unauthorised"})
            length = request.content_length
            if length is not None and length > self.max_bytes:
                return _answer(413, {"error": "envelope too large"})
            body = request.get_data(cache=False)
            status, doc = self.handle_put(capture_id, request.headers, body)
            self.answers[status] += 1
            return _answer(status, doc)

        @app.errorhandler(413)
        def too_large(_exc: Exception) -> Response:
            return _answer(413, {"error": "envelope too large"})

        @app.get("/healthz")
        def healthz() -> Response:
            return _answer(200, {"ok": True})

        return app


def _answer(status: int, doc: dict[str, Any]) -> Response:
    resp = jsonify(doc)
    resp.status_code = status
    if "sha256" in doc:
        resp.headers["Content-SHA256"] = doc["sha256"]
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="kiosk"'
    return resp


def make_server(
    app: Any,
    host: str = "127.0.0.1",
    port: int = 0,
    threads: int = 4,
    authorised: Callable[[str | None], bool] | None = None,
    **adjust: Any,
) -> Any:
    """A waitress server, bound but not yet serving (``.effective_port`` tells the port); see serve_until.

    With ``authorised``, an upload whose ``Authorization`` header it refuses is answered 401 as soon as
    the headers are in, and the connection closed: waitress would otherwise read the whole body (up to
    ``max_request_body_size``, set here to the envelope limit) before the application sees the request.
    """
    from waitress.server import BaseWSGIServer, create_server

    adjust.setdefault("max_request_body_size", MAX_ENVELOPE_BYTES + 1)
    server = create_server(app, host=host, port=port, threads=threads, ident="kiosk-receiver", **adjust)
    if authorised is not None:
        if not isinstance(server, BaseWSGIServer):
            # waitress answers a host with several addresses from several servers; the check would be skipped
            server.close()
            raise ValueError(f"{host}: listens on several addresses; give one")
        server.channel_class = _auth_first_channel(authorised)
    return server


def _auth_first_channel(authorised: Callable[[str | None], bool]) -> type:
    from waitress.channel import HTTPChannel
    from waitress.parser import HTTPRequestParser
    from waitress.utilities import Error

    class Unauthorized(Error):
        code = 401
        reason = "Unauthorized"

        # types-waitress declares the body str; waitress 3 returns it encoded, as bytes
        def to_response(self, ident: str | None = None) -> tuple[str, list[tuple[str, str]], bytes]:  # type: ignore[override]
            status, headers, body = super().to_response(ident)
            return status, [*headers, ("WWW-Authenticate", 'Bearer realm="kiosk"')], cast(bytes, body)

    class AuthFirstParser(HTTPRequestParser):
        def parse_header(self, header_plus: bytes) -> None:
            super().parse_header(header_plus)
            if self.command == "PUT" and not authorised(self.headers.get("AUTHORIZATION")):
                self.error = Unauthorized("a bearer token is needed")
                self.expect_continue = False
                self.completed = True  # the body is never read; waitress closes after answering

    class AuthFirstChannel(HTTPChannel):
        parser_class = AuthFirstParser

    return AuthFirstChannel


def serve_until(server: Any, stop: threading.Event, poll_s: float = 0.05) -> None:
    """Serve until ``stop`` is set, then close the listener and every open connection.

    Everything happens on the serving thread: closing waitress's sockets from another thread races its
    select loop, and ``server.close()`` alone leaves keep-alive connections (and the loop) running.
    """
    from waitress import wasyncore

    try:
        while not stop.is_set():
            server.asyncore.loop(timeout=poll_s, map=server._map, count=1)
    finally:
        server.task_dispatcher.shutdown(timeout=2)
        wasyncore.close_all(server._map)
