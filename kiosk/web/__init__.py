"""The booth's web side: Flask app factories for the student page (``student`` blueprint, 127.0.0.1)
and the staff console (``staff`` blueprint, /metrics and the probes, on its own server).

No traceback ever reaches a page: unexpected errors are logged and answered with a short friendly
message (JSON for the API, a plain page otherwise).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class StreamLimiter:
    """Caps long-lived responses (MJPEG, server-sent events): each holds a server thread."""

    def __init__(self, limit: int) -> None:
        self._sem = threading.BoundedSemaphore(limit)
        self.limit = limit

    def try_acquire(self) -> bool:
        return self._sem.acquire(blocking=False)

    def release(self) -> None:
        self._sem.release()


def listen(app: Any, host: str, port: int, threads: int) -> Any:
    """``waitress.create_server``, bound but not yet serving, that leaves no worker threads behind when
    the port cannot be bound (waitress starts them first, then raises the ``OSError``)."""
    from waitress.server import create_server
    from waitress.task import ThreadedTaskDispatcher

    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(threads)
    try:
        return create_server(app, host=host, port=port, threads=threads, _dispatcher=dispatcher)
    except BaseException:
        dispatcher.shutdown(timeout=2)
        raise


def create_app(runtime: Any, max_streams: int = 2) -> Flask:
    """``runtime`` is a ``kiosk.app.runtime.Runtime``: the page reads its booth, hub, camera and language."""
    from kiosk.web.student import bp as student_bp

    app = Flask(__name__)
    app.config["RUNTIME"] = runtime
    app.config["MJPEG_LIMIT"] = StreamLimiter(max_streams)
    app.config["SSE_LIMIT"] = StreamLimiter(max_streams + 2)
    # Set when the booth shuts down: the long-lived responses end, so their server threads can be joined.
    app.config["CLOSING"] = threading.Event()
    app.register_blueprint(student_bp)

    install_friendly_errors(app)
    return app


def install_friendly_errors(app: Flask) -> None:
    """No traceback on any page: log the error, answer with a short message (JSON for API calls)."""

    @app.errorhandler(Exception)
    def _friendly(exc: Exception) -> Any:
        if isinstance(exc, HTTPException) and (exc.code or 500) < 400:
            return exc  # a redirect (e.g. /staff -> /staff/) is not an error
        if isinstance(exc, HTTPException):
            code = exc.code or 500
        else:
            log.exception("unhandled error on %s", request.path)
            code = 500
        body = {"error": {"zh": "出了点问题，请稍后再试", "en": "Something went wrong, please try again"}}
        if "/api/" in request.path or request.accept_mimetypes.best == "application/json":
            return jsonify(body), code
        return f"<!doctype html><meta charset=utf-8><p>{body['error']['zh']} / {body['error']['en']}</p>", code


def create_staff_app(console: Any) -> Flask:
    """The staff console's app (``console``: a ``kiosk.staff.StaffConsole``), for its own server.

    It serves only the staff pages under /staff, /metrics, /healthz and /readyz: never the student page,
    the live view or a photo, so it may listen on the campus network.
    """
    from flask import Response

    from kiosk.ops.metrics import build_registry, exposition
    from kiosk.web import staff, student

    app = Flask(__name__, static_folder=None)
    app.config.update(
        RUNTIME=console.runtime,
        STAFF=console,
        SECRET_KEY=console.secret_key,
        SESSION_COOKIE_NAME="kiosk_staff",
        SESSION_COOKIE_PATH="/staff",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=console.secure_cookies,
        MAX_CONTENT_LENGTH=staff.MAX_UPLOAD_BYTES,
    )
    app.register_blueprint(staff.bp)
    app.add_url_rule("/healthz", view_func=student.healthz)
    app.add_url_rule("/readyz", view_func=student.readyz)
    registry = build_registry(console)

    @app.get("/metrics")
    def metrics() -> Response:
        body, content_type = exposition(registry)
        return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})

    install_friendly_errors(app)
    if console.proxy_hops:
        app.wsgi_app = trusted_proxy(  # type: ignore[method-assign]
            app.wsgi_app, console.proxy_hops, console.proxy_address
        )
    return app


def trusted_proxy(wsgi_app: Any, hops: int, proxy_address: str) -> Any:
    """Take the client's address and scheme from ``hops`` proxies' X-Forwarded-* headers (werkzeug's
    ProxyFix), but only for connections from ``proxy_address``: anyone else could forge those headers
    and dodge the per-address lockout, so a direct request is refused with 403."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    fixed = ProxyFix(wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("REMOTE_ADDR") != proxy_address:
            body = b"Use the staff console's https:// address.\n"
            start_response("403 Forbidden", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
            return [body]
        return fixed(environ, start_response)

    return app
