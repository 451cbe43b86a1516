"""Reference receiver for the upload protocol: what the collection centre runs, and what tests run against.

``PUT /v1/captures/<capture_id>`` with a sealed envelope as body. The receiver holds the centre's private
key only to prove an envelope opens (a corrupt one is refused with 422, so the kiosk keeps it and staff
hear of it); it stores the envelope sealed, as it came. Deduplication is by capture id: the same bytes
again answer 200, different bytes 409, so a kiosk that retries after a lost answer never stores twice.

Served by waitress. It speaks plain HTTP: put TLS in front of it (a reverse proxy) when kiosks reach it
over a network.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from flask import Flask, Response, jsonify, request

from kiosk.files import atomic_write
from kiosk.sealing import SUFFIX, EnvelopeError, is_capture_id, open_envelope, parse_header

log = logging.getLogger(__name__)

MAX_ENVELOPE_BYTES = 64 * 1024 * 1024


class CaptureStore:
    """Envelopes on disk, one file per capture id, written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.writes: Counter[str] = Counter()  # capture id -> times stored (1 when all is well)

    def path_for(self, capture_id: str) -> Path:
        return self.root / f"{capture_id}{SUFFIX}"

    def stored_sha256(self, capture_id: str) -> str | None:
        try:
            return hashlib.sha256(self.path_for(capture_id).read_bytes()).hexdigest()
        except FileNotFoundError:
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


class Receiver:
    def __init__(
        self,
        private_key: X25519PrivateKey,
        store: Path,
        tokens: Sequence[str] = (),
        max_bytes: int = MAX_ENVELOPE_BYTES,
    ) -> None:
        self.private_key = private_key
        self.store = CaptureStore(store)
        self.tokens = [t.encode() for t in tokens if t]
        self.max_bytes = max_bytes
        self.answers: Counter[int] = Counter()  # status -> count, for the operator and the tests

    def authorised(self, header: str | None) -> bool:
        if not self.tokens:
            return True
        if not header or not header.startswith("Bearer "):
            return False
        given = header.removeprefix("Bearer ").strip().encode()
        return any(hmac.compare_digest(given, t) for t in self.tokens)

    def handle_put(self, capture_id: str, headers: Any, body: bytes) -> tuple[int, dict[str, Any]]:
        """The protocol, independent of Flask: return (status, JSON answer)."""
        if not self.authorised(headers.get("Authorization")):
            return 401, {"error": "unauthorised"}
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
        existing = self.store.stored_sha256(capture_id)
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

    @staticmethod
    def _duplicate(capture_id: str, existing: str, sha256: str) -> tuple[int, dict[str, Any]]:
        if existing == sha256:
            return 200, {"capture_id": capture_id, "sha256": existing, "stored": True}
        log.warning("capture %s: a different envelope is already stored under this id", capture_id)
        return 409, {"capture_id": capture_id, "sha256": existing, "error": "another envelope has this id"}

    def app(self) -> Flask:
        app = Flask("kiosk.receiver")
        app.config["MAX_CONTENT_LENGTH"] = self.max_bytes

        @app.put("/v1/captures/<capture_id>")
        def put_capture(capture_id: str) -> Response:
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


def read_tokens(path: Path) -> list[str]:
    """One token per line; blank lines and ``#`` comments ignored (several kiosks, several tokens)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]


def make_server(app: Any, host: str = "127.0.0.1", port: int = 0, threads: int = 4, **adjust: Any) -> Any:
    """A waitress server, bound but not yet serving (``.effective_port`` tells the port); see serve_until."""
    from waitress.server import create_server

    return create_server(app, host=host, port=port, threads=threads, ident="kiosk-receiver", **adjust)


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
