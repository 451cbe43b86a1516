"""The staff console's pages under /staff: sign-in, dashboard, batches, statistics, captures, uploads, audit.

Every page but sign-in needs a signed-in session: a page asked for without one redirects to sign-in, and
the JSON, CSV and action endpoints answer 401; neither carries any data. Every POST must carry the
session's CSRF token. The dashboard refreshes by polling ``/staff/api/live`` every few seconds: each
poll holds a server thread for a few milliseconds, where a server-sent stream would hold one for as
long as a phone keeps the page open, and the staff server has only a few threads.

Nothing here shows more of an identity than the student's own screen did: the records hold school,
level, times and the masked name and ID number the student confirmed (张*, *****8746, so staff voiding a
photo can tell whose it is), never a full name or ID number; the booth's state is shown without the
student it is serving.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import flask
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from markupsafe import Markup, escape

from kiosk.core.humanize import age
from kiosk.queue.outbox import OutboxError
from kiosk.staff import StaffConsole, csrf, labels
from kiosk.staff.actions import Actor
from kiosk.staff.auth import DEFAULT_USER, attempt_key
from kiosk.staff.schedule import ScheduleError, batches_between, batches_on
from kiosk.staff.stats import compute, day_report, load_day, report_csv
from kiosk.staff.voids import VoidError, recent_captures

log = logging.getLogger(__name__)

Note = tuple[str, str, str]  # kind ("ok", "warn", "bad"), Chinese, English: shown once on the next page


def note(message: Note) -> None:
    """Flash a bilingual note for the next page the staff member sees."""
    # Flask keeps any message its session serialiser can tag (a tuple comes back a tuple); its stub says str.
    flask.flash(message)  # type: ignore[arg-type]


bp = Blueprint("staff", __name__, url_prefix="/staff")

MAX_UPLOAD_BYTES = 6 * 1024 * 1024
POLL_MS = 3000
STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_FILES = {"staff.css", "staff.js"}
PUBLIC_ENDPOINTS = {"staff.login", "staff.static_file"}
# Polling is not activity: a dashboard left open still signs out after the idle time.
PASSIVE_ENDPOINTS = {"staff.live"}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def _console() -> StaffConsole:
    return current_app.config["STAFF"]


def _remote() -> str:
    return request.remote_addr or ""


def _actor() -> Actor:
    return Actor(g.user, _remote())


def _wants_json() -> bool:
    return (
        "/api/" in request.path
        or request.path.endswith(".csv")
        or request.method != "GET"
        or request.accept_mimetypes.best == "application/json"
    )


def _safe_next(target: str | None) -> str | None:
    """Only a path inside the console (no other host, no scheme) may follow sign-in."""
    if target and target.startswith("/staff/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


# -- the guard every request passes ---------------------------------------------------------------


@bp.before_request
def _guard() -> Any:
    console = _console()
    now = console.now()
    check = console.sessions.check(session, now, console.passwords)
    g.user = check.user
    g.signed_out_reason = ""
    if check.user is None and check.reason in ("expired", "changed", "ended"):
        console.sessions.end(session)
        g.signed_out_reason = check.reason
    if request.endpoint not in PUBLIC_ENDPOINTS and g.user is None:
        if _wants_json():
            return jsonify({"error": "signed out", "login": url_for("staff.login")}), 401
        args: dict[str, Any] = {"next": request.full_path.rstrip("?")}
        if g.signed_out_reason:
            args["why"] = g.signed_out_reason
        return redirect(url_for("staff.login", **args))
    if request.method == "POST" and not csrf.valid(session, request.form, request.headers):
        log.warning("staff: POST %s without a valid CSRF token from %s", request.path, _remote())
        return _page_error(400, "表单已过期，请刷新页面后重试", "This form has expired: reload the page and try again")
    if g.user is not None and request.endpoint not in PASSIVE_ENDPOINTS:
        console.sessions.touch(session, now)
    return None


@bp.after_request
def _headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "staff.static_file":
        response.headers["Cache-Control"] = "no-store"
    return response


def _page_error(code: int, zh: str, en: str) -> tuple[str, int]:
    return render_template("staff_error.html", zh=zh, en=en), code


@bp.app_template_global()
def t(zh: str, en: str) -> Markup:
    """Chinese first, English beside it (both escaped)."""
    return Markup('<span class="zh">{}</span> <span class="en">{}</span>').format(escape(zh), escape(en))


@bp.app_context_processor
def _template_values() -> dict[str, Any]:
    return {
        "csrf_token": lambda: csrf.token(session),
        "csrf_field": csrf.FIELD,
        "user": getattr(g, "user", None),
        "kiosk_id": _console().kiosk_id,
    }


@bp.get("/static/<name>")
def static_file(name: str) -> Response:
    if name not in STATIC_FILES:
        abort(404)
    return send_from_directory(STATIC_DIR, name, max_age=300)


# -- signing in and out ---------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    console = _console()
    if request.method == "GET":
        if g.user is not None:
            return redirect(url_for("staff.dashboard"))
        why = g.signed_out_reason or request.args.get("why", "")
        return _login_page(why=why)
    user = request.form.get("user", "").strip()[:64]
    password = request.form.get("password", "")
    remote = _remote()
    key = attempt_key(user, remote)
    now = console.now()
    wait = console.guard.reserve(key, now)  # taken before the slow hash, so parallel guesses count
    if wait > 0:
        who = user if user in console.passwords.users() else "(unknown user)"
        console.audit.record(who, "login_refused_locked", "staff console", remote=remote)
        return _login_page(error="locked", minutes=max(1, round(wait / 60)), code=429)
    try:
        good = bool(user) and console.passwords.verify(user, password)
    except BaseException:
        console.guard.release(key)  # an unreadable password file must not use up the attempt for good
        raise
    if good:
        fingerprint = console.passwords.fingerprint(user) or ""
        console.guard.succeeded(key)
        console.sessions.begin(session, user, fingerprint, now, console.passwords.generations.get(user))
        console.audit.record(user, "login", "staff console", remote=remote)
        return redirect(_safe_next(request.args.get("next")) or url_for("staff.dashboard"))
    locked = console.guard.failed(key, now)
    # Only a known name goes into the log: a password typed into the name field must not.
    who = user if user in console.passwords.users() else "(unknown user)"
    console.audit.record(who, "login_failed", "staff console", {"locked": locked}, remote)
    if locked:
        minutes = max(1, round(console.guard.locked_for(key, now) / 60))
        return _login_page(error="locked", minutes=minutes, code=429)
    return _login_page(error="wrong", code=401)


def _login_page(why: str = "", error: str = "", minutes: int = 0, code: int = 200) -> tuple[str, int]:
    console = _console()
    html = render_template(
        "staff_login.html",
        why=why,
        error=error,
        minutes=minutes,
        no_password=not console.passwords.users(),
        default_user=DEFAULT_USER,
        next=_safe_next(request.args.get("next")),
    )
    return html, code


@bp.post("/logout")
def logout() -> Any:
    _console().audit.record(g.user, "logout", "staff console", remote=_remote())
    _console().passwords.generations.bump(g.user)  # every copy of this user's session cookie ends too
    _console().sessions.end(session)
    return redirect(url_for("staff.login"))


# -- pages ----------------------------------------------------------------------------------------


@bp.get("/")
def index() -> Any:
    return redirect(url_for("staff.dashboard"))


VERDICTS = {"ok": ("正常", "OK"), "warn": ("需要注意", "Needs attention"), "bad": ("故障", "Fault")}


def verdict(health: Any, progress: Any) -> dict[str, Any]:
    """The one line at the top of the dashboard: is the booth healthy, and why not; is it on pace."""
    zh, en = VERDICTS[health.level]
    worst = [w for w in health.warnings if w.level == health.level]
    current = progress.current
    pace = None if current is None or current.on_track is None else bool(current.on_track)
    return {
        "level": health.level,
        "zh": zh,
        "en": en,
        "reasons": [{"zh": w.zh, "en": w.en} for w in worst],
        "others": len(health.warnings) - len(worst),
        "on_pace": pace,
    }


def usage(health: Any) -> dict[str, Any]:
    """Memory and disk as used / total with a percentage."""
    s, d = health.system, health.disk
    memory_used = (
        None
        if s.memory_total_mb is None or s.memory_available_mb is None
        else (s.memory_total_mb - s.memory_available_mb)
    )
    disk_used = None if d.total_mb is None or d.free_mb is None else d.total_mb - d.free_mb
    return {"memory": labels.share(memory_used, s.memory_total_mb), "disk": labels.share(disk_used, d.total_mb)}


def printer_state(console: StaffConsole) -> dict[str, Any] | None:
    """The print queue, when the booth has a printer: what CUPS says it is doing and the jobs waiting."""
    printer = console.runtime.parts.printer
    if printer is None:
        return None
    return printer.state().to_dict()


def live_data(console: StaffConsole) -> dict[str, Any]:
    """What the dashboard shows, as JSON: the verdict, health, today's figures, and the batches' progress."""
    health = console.health.snapshot()
    overview = console.overview()
    return {
        "at": overview.at.isoformat(timespec="seconds"),
        "kiosk_id": console.kiosk_id,
        "poll_ms": POLL_MS,
        "verdict": verdict(health, overview.progress),
        "usage": usage(health),
        "printer": printer_state(console),
        "lights": {k: labels.label(labels.LIGHTS, k) for k in (health.gpio.lights or {})},
        "health": health.to_dict(),
        "today": overview.today.to_dict(),
        "batches": overview.progress.to_dict(),
    }


@bp.get("/dashboard")
def dashboard() -> str:
    return render_template("staff_dashboard.html", live=live_data(_console()), page="dashboard")


@bp.get("/api/live")
def live() -> Response:
    return jsonify(live_data(_console()))


def _day_arg() -> date:
    text = request.args.get("day", "")
    if not text:
        return _console().today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(400)


@bp.get("/batches")
def batches() -> str:
    console = _console()
    today = console.today()
    rows = batches_between(console.store, today - timedelta(days=14), today + timedelta(days=60))
    captured: dict[int | None, int] = {}
    by_day: dict[date, Any] = {}
    tz = console.clock.wall().tzinfo
    for batch in rows:
        if batch.day > today:
            continue
        if batch.day not in by_day:
            by_day[batch.day] = load_day(console.store, batch.day)
        start, end = batch.window(tz)
        captured[batch.id] = compute(by_day[batch.day].within(start, end)).students_accepted
    return render_template(
        "staff_batches.html",
        batches=rows,
        captured=captured,
        today=today,
        page="batches",
        max_mb=MAX_UPLOAD_BYTES >> 20,
    )


@bp.post("/batches/import")
def import_batches() -> Any:
    upload = request.files.get("schedule")
    if upload is None or not upload.filename:
        note(("bad", "请选择一个 CSV 或 XLSX 文件", "Choose a CSV or XLSX file"))
        return redirect(url_for("staff.batches"))
    name = Path(upload.filename).name[:100]
    try:
        result = _console().actions.import_schedule(_actor(), upload.read(), name)
    except ScheduleError as exc:
        for problem in exc.problems[:10]:
            note(("bad", f"{name}：无法导入", f"{name}: {problem}"))
        return redirect(url_for("staff.batches"))
    days = ", ".join(result.days)
    note(("ok", f"已导入 {result.batches} 个批次（{days}）", f"Imported {result.batches} batches for {days}"))
    return redirect(url_for("staff.batches"))


@bp.get("/statistics")
def statistics() -> str:
    console = _console()
    day = _day_arg()
    report = day_report(load_day(console.store, day), batches_on(console.store, day), console.clock.wall().tzinfo)
    return render_template("staff_statistics.html", report=report, day=day, page="statistics")


@bp.get("/statistics.csv")
def statistics_csv() -> Response:
    console = _console()
    day = _day_arg()
    report = day_report(load_day(console.store, day), batches_on(console.store, day), console.clock.wall().tzinfo)
    return Response(
        report_csv(report),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{console.kiosk_id}-{day.isoformat()}.csv"'},
    )


@bp.get("/captures")
def captures() -> str:
    console = _console()
    return render_template(
        "staff_captures.html", captures=recent_captures(console.store, console.today(), 100), page="captures"
    )


@bp.get("/uploads")
def uploads() -> str:
    return render_template("staff_uploads.html", queue=_console().health.snapshot().queue, page="uploads")


@bp.get("/audit")
def audit() -> str:
    return render_template("staff_audit.html", entries=_console().audit.entries(300), page="audit")


# -- actions --------------------------------------------------------------------------------------


def _back(default: str) -> Any:
    return redirect(_safe_next(request.form.get("back")) or url_for(default))


@bp.post("/actions/pause")
def pause() -> Any:
    _console().actions.pause(_actor())
    note(("ok", "已暂停：新学生无法开始拍照", "Paused: no new student can start"))
    return _back("staff.dashboard")


@bp.post("/actions/resume")
def resume() -> Any:
    _console().actions.resume(_actor())
    note(("ok", "已恢复采集", "Resumed"))
    return _back("staff.dashboard")


@bp.post("/actions/calibrate")
def calibrate() -> Any:
    from kiosk.vision.calibration import CalibrationError

    kind = request.form.get("kind", "backdrop")
    try:
        result = _console().actions.calibrate(_actor(), kind)
    except CalibrationError as exc:
        note(("bad", f"未能校准：{exc}", f"Not calibrated: {exc}"))
    else:
        note(("ok", f"已校准：{result.summary()}", f"Calibrated: {result.summary()}"))
    return _back("staff.dashboard")


QUEUE_OUTCOMES: dict[str, tuple[str, str]] = {
    "withdrawn": ("照片尚未上传，已撤回，不会再上传", "It had not been sent and is withdrawn: it will never be sent"),
    "already_sent": (
        "照片已上传到采集中心：请通知中心作废该照片",
        "It has already reached the centre: ask the centre to discard it",
    ),
    "not_queued": ("上传队列中没有这张照片", "The upload queue never held it"),
    "no_queue": ("本机没有上传队列", "This booth has no upload queue"),
}


@bp.post("/actions/void")
def void() -> Any:
    capture_id = request.form.get("capture_id", "").strip()[:64]
    reason = request.form.get("reason", "")
    try:
        result = _console().actions.void(_actor(), capture_id, reason)
    except VoidError as exc:
        note(("bad", "无法作废", str(exc)))
        return redirect(url_for("staff.captures"))
    zh, en = QUEUE_OUTCOMES[result.queue]
    note(
        (
            "warn" if result.queue == "already_sent" else "ok",
            f"已作废 {capture_id[:8]}：{zh}",
            f"Voided {capture_id[:8]}: {en}",
        )
    )
    return redirect(url_for("staff.captures"))


@bp.post("/actions/retry")
def retry() -> Any:
    capture_id = request.form.get("capture_id", "").strip()[:64] or None
    try:
        sent = _console().actions.retry(_actor(), capture_id)
    except OutboxError as exc:
        note(("bad", "无法重试", str(exc)))
        return redirect(url_for("staff.uploads"))
    note(("ok", f"已重新排队 {len(sent)} 张照片", f"{len(sent)} upload(s) queued again"))
    return redirect(url_for("staff.uploads"))


@bp.app_template_filter("age")
def format_age(seconds: float | None) -> str:
    return age(seconds, missing="–")


@bp.app_template_filter("ago")
def format_ago(seconds: float | None) -> str:
    """How long ago something happened, as the dashboard's live figures say it ("93 s ago")."""
    return "–" if seconds is None else f"{age(seconds)} ago"


@bp.app_template_filter("check_label")
def check_label(check_id: str) -> Markup:
    return t(*labels.check_label(check_id))


@bp.app_template_filter("event_label")
def event_label(kind: str) -> Markup:
    return t(*labels.event_label(kind))


@bp.app_template_filter("detail")
def detail_label(detail: dict[str, Any]) -> Markup:
    return t(*labels.detail_text(detail)) if detail else Markup("")


@bp.app_template_filter("local")
def local_time(value: Any, with_date: bool = True) -> str:
    """A stored time in the booth's own time zone, plainly (no "T", no offset)."""
    return labels.local_time(value, _console().clock.wall().tzinfo, with_date)
