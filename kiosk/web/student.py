"""The student page: the live view, the booth's state as server-sent events, and the touch buttons."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request

from kiosk.booth import Answer, Touch

bp = Blueprint("student", __name__)

ACTIONS = {"confirm", "cancel", "start", "accept", "retake", "finish", "print"}
SSE_HEARTBEAT_S = 15.0
MJPEG_IDLE_TIMEOUT_S = 30.0


def _runtime() -> Any:
    return current_app.config["RUNTIME"]


@bp.get("/")
def page() -> str:
    return render_template("student.html", language=_runtime().language)


@bp.get("/api/state")
def state() -> Response:
    return jsonify(_runtime().booth.snapshot())


@bp.post("/api/action")
def action() -> Any:
    # JSON only: a plain cross-site form cannot send it, so another page cannot press our buttons.
    data = request.get_json(silent=True)
    if isinstance(data, dict) and data.get("action") == "answer":
        # "Does not apply" names the question it answers: {"action": "answer", "check": "jewellery"}.
        check = data.get("check")
        if not isinstance(check, str) or not 0 < len(check) <= 64:
            return jsonify({"ok": False, "error": "answer needs the check it answers"}), 400
        _runtime().booth.post(Answer(check))
        return jsonify({"ok": True})
    if not isinstance(data, dict) or data.get("action") not in ACTIONS:
        return jsonify({"ok": False, "error": "unknown action"}), 400
    _runtime().booth.post(Touch(data["action"]))
    return jsonify({"ok": True})


@bp.get("/events")
def events() -> Response:
    limiter = current_app.config["SSE_LIMIT"]
    if not limiter.try_acquire():
        return Response("retry: 3000\n\n", status=503, mimetype="text/event-stream")
    runtime = _runtime()
    booth = runtime.booth
    closing = current_app.config["CLOSING"]

    def stream() -> Iterator[str]:
        try:
            last: tuple[Any, bool] | None = None
            last_sent = 0.0
            yield "retry: 1000\n\n"
            while not closing.is_set():  # the page reconnects by itself once the booth is back
                snap = booth.snapshot()
                # The camera's health is not the booth's state, but the student must see it at once.
                snap["camera_ok"] = bool(runtime.camera.healthy)
                key = (snap.get("seq"), snap["camera_ok"])
                if key != last:
                    last = key
                    last_sent = time.monotonic()
                    yield f"data: {json.dumps(snap, ensure_ascii=False)}\n\n"
                elif time.monotonic() - last_sent > SSE_HEARTBEAT_S:
                    last_sent = time.monotonic()
                    yield ": keep-alive\n\n"
                time.sleep(0.05)
        finally:
            limiter.release()

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return Response(stream(), mimetype="text/event-stream", headers=headers)


@bp.get("/stream.mjpg")
def mjpeg() -> Response:
    hub = _runtime().hub
    limiter = current_app.config["MJPEG_LIMIT"]
    if not limiter.try_acquire():
        # Over the cap: one still frame instead of a stream, so no thread is held.
        return preview_jpeg()

    closing = current_app.config["CLOSING"]

    def stream() -> Iterator[bytes]:
        try:
            seq = 0
            idle_since = time.monotonic()
            while not closing.is_set():
                new = hub.wait_newer(seq, timeout=1.0)
                if new == seq:
                    if time.monotonic() - idle_since > MJPEG_IDLE_TIMEOUT_S:
                        return
                    continue
                seq, data = hub.jpeg()
                idle_since = time.monotonic()
                if data is None:
                    continue
                yield b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(data) + data + b"\r\n"
        finally:
            limiter.release()

    return Response(
        stream(), mimetype="multipart/x-mixed-replace; boundary=frame", headers={"Cache-Control": "no-store"}
    )


@bp.get("/preview.jpg")
def preview_jpeg() -> Response:
    _seq, data = _runtime().hub.jpeg()
    if data is None:
        abort(503)
    return Response(data, mimetype="image/jpeg", headers={"Cache-Control": "no-store"})


@bp.get("/photo/<capture_id>.jpg")
def photo(capture_id: str) -> Response:
    """The shot under review, served from memory; only the current one, only while it is shown."""
    booth = _runtime().booth
    data = booth.photo_jpeg
    if data is None or booth.ctx.capture_id != capture_id:
        abort(404)
    return Response(data, mimetype="image/jpeg", headers={"Cache-Control": "no-store"})


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: the process answers."""
    return jsonify({"ok": True})


@bp.get("/readyz")
def readyz() -> Any:
    """Readiness: the booth can take a student now (the kiosk browser waits for this)."""
    problems = _runtime().readiness_problems()
    return jsonify({"ready": not problems, "problems": problems}), (200 if not problems else 503)
