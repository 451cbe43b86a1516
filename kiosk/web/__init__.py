"""The booth's web side: a Flask app factory; the student page lives in the ``student`` blueprint.

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


def create_app(runtime: Any, max_streams: int = 2) -> Flask:
    """``runtime`` is a ``kiosk.runtime.Runtime`` (or anything with ``booth`` and ``hub``)."""
    from kiosk.web.student import bp as student_bp

    app = Flask(__name__)
    app.config["RUNTIME"] = runtime
    app.config["MJPEG_LIMIT"] = StreamLimiter(max_streams)
    app.config["SSE_LIMIT"] = StreamLimiter(max_streams + 2)
    app.register_blueprint(student_bp)

    @app.errorhandler(Exception)
    def _friendly(exc: Exception) -> Any:
        if isinstance(exc, HTTPException):
            code = exc.code or 500
        else:
            log.exception("unhandled error on %s", request.path)
            code = 500
        body = {"error": {"zh": "出了点问题，请稍后再试", "en": "Something went wrong, please try again"}}
        if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
            return jsonify(body), code
        return f"<!doctype html><meta charset=utf-8><p>{body['error']['zh']} / {body['error']['en']}</p>", code

    return app
