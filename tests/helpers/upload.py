"""Shared pieces for the upload-queue tests: keys, captures, configs, and real servers on loopback.

Every server here listens on 127.0.0.1 on a free port and is stopped by its context manager.
"""

from __future__ import annotations

import contextlib
import http.server
import io
import json
import os
import random
import socket
import ssl
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from kiosk.centre.receiver import Receiver, make_server, serve_until
from kiosk.core.capture import AcceptedCapture, SubjectInfo
from kiosk.queue.outbox import Backoff, Outbox
from kiosk.storage.sealing import INFO_PREFIX, EnvelopeHeader, _suite, generate_centre_keypair
from tests.helpers.paths import REPO

CST = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class Keys:
    private: X25519PrivateKey
    public: X25519PublicKey
    private_path: Path
    public_path: Path


def write_keys(folder: Path) -> Keys:
    from kiosk.storage.sealing import load_private_key, load_public_key

    folder.mkdir(parents=True, exist_ok=True)
    priv_pem, pub_pem = generate_centre_keypair()
    (folder / "centre.key").write_bytes(priv_pem)
    (folder / "centre.pub").write_bytes(pub_pem)
    return Keys(
        load_private_key(folder / "centre.key"),
        load_public_key(folder / "centre.pub"),
        folder / "centre.key",
        folder / "centre.pub",
    )


def fake_jpeg(size: int = 2000, seed: int | None = None) -> bytes:
    rng = random.Random(seed)
    return b"\xff\xd8\xff\xe0" + rng.randbytes(size) + b"\xff\xd9"


def make_capture(
    kiosk_id: str = "booth-01", *, photo_size: int = 2000, original: bytes | None = None, attempt: int = 1
) -> AcceptedCapture:
    return AcceptedCapture(
        capture_id=str(uuid.uuid4()),
        kiosk_id=kiosk_id,
        subject=SubjectInfo(uid="U-12345", name="张**", idn="*****8746", school="北京大学", level="本科"),
        taken_at=datetime(2026, 6, 1, 9, 30, tzinfo=CST),
        profile="chsi",
        attempt=attempt,
        report={"pass": True, "checks": {"blur": {"pass": True, "score": 0.1}}, "ms": 12.5},
        photo_jpeg=fake_jpeg(photo_size),
        original_jpeg=original,
    )


def queue_config(tmp_path: Path, keys: Keys, target: str = "") -> Path:
    """A kiosk.toml for booth-07 with its data in ``tmp_path/data`` and the queue sealing to ``keys``."""
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(
        f'[kiosk]\nid = "booth-07"\ndata_dir = "{tmp_path / "data"}"\n'
        f'[upload]\ncentre_public_key = "{keys.public_path}"\nmin_free_mb = 0\ntarget = "{target}"\n'
    )
    return cfg


FAST = Backoff(min_s=0.01, max_s=0.05, slow_s=0.05)


def make_outbox(data_dir: Path, public: X25519PublicKey | None, **kw: Any) -> Outbox:
    kw.setdefault("backoff", FAST)
    kw.setdefault("min_free_mb", 0)
    kw.setdefault("orphan_grace_s", 0)
    return Outbox(data_dir, public, "booth-01", **kw)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Slow:
    """WSGI wrapper that delays every request, so a kill lands mid-transfer more often."""

    def __init__(self, app: Any, delay_s: float) -> None:
        self.app, self.delay_s = app, delay_s

    def __call__(self, environ: Any, start_response: Any) -> Any:
        time.sleep(self.delay_s)
        return self.app(environ, start_response)


@contextlib.contextmanager
def running_receiver(
    private: X25519PrivateKey,
    store: Path,
    tokens: tuple[str, ...] = ("tok",),
    delay_s: float = 0.0,
    wrap: Callable[[Any], Any] | None = None,
) -> Iterator[tuple[str, Receiver]]:
    """``kiosk receiver``'s app on waitress in a thread; yields (base URL, receiver).

    ``wrap`` puts a WSGI middleware (a recorder, say) around the receiver's app.
    """
    receiver = Receiver(private, store, tokens)
    app: Any = receiver.app()
    if delay_s:
        app = _Slow(app, delay_s)
    if wrap is not None:
        app = wrap(app)
    server = make_server(app, "127.0.0.1", 0, threads=4, authorised=receiver.authorised)
    stop = threading.Event()
    thread = threading.Thread(target=serve_until, args=(server, stop), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}", receiver
    finally:
        stop.set()
        thread.join(5)


@dataclass
class Script:
    """What the fault-injecting server answers, request by request (the last entry repeats)."""

    answers: list[dict[str, Any]]
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next(self, record: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.requests.append(record)
            index = min(len(self.requests) - 1, len(self.answers) - 1)
            return self.answers[index]


@contextlib.contextmanager
def scripted_server(script: Script, tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """An http.server that answers PUTs as ``script`` says: a status, headers, a JSON body, a hang
    (``{"hang": seconds}``) or a dropped connection (``{"close": True}``)."""
    stop = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: Any) -> None:
            pass

        def do_PUT(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            answer = script.next({"path": self.path, "headers": dict(self.headers), "size": len(body)})
            if answer.get("hang"):
                stop.wait(answer["hang"])
                self.close_connection = True
                return
            if answer.get("close"):
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            payload = json.dumps(answer.get("json", {})).encode()
            self.send_response(answer["status"])
            for k, v in answer.get("headers", {}).items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}"
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def sealed_bomb(keys: Keys, meta_bytes: int) -> tuple[str, bytes]:
    """A validly sealed envelope (anyone with centre.pub can make one) whose meta.json is deflated padding."""
    capture = make_capture()
    header = EnvelopeHeader(capture.capture_id, capture.kiosk_id).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        meta = {"capture_id": capture.capture_id, "kiosk_id": capture.kiosk_id, "pad": " " * meta_bytes}
        zf.writestr("meta.json", json.dumps(meta), compresslevel=9)
        zf.writestr("photo.jpg", capture.photo_jpeg)
    return capture.capture_id, header + _suite().encrypt(buf.getvalue(), keys.public, info=INFO_PREFIX + header)


def python_env() -> dict[str, str]:
    """Environment for ``python -m kiosk`` subprocesses: the project on the path, no proxies."""
    env = dict(os.environ)
    root = str(REPO)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        env.pop(var, None)
    return env


def self_signed_tls(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context for 127.0.0.1 and the CA file (the certificate itself) a client must trust."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "centre.test")])
    now = datetime.now(UTC)
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_path, key_path)
    return ctx, cert_path
