"""One small class per booth state (after pibooth): what it shows, what it accepts, where it leads.

Every state but idle has a timeout back to idle. A passing photo is never dropped by a timeout: review
saves it before leaving, and nothing that was accepted is held only in memory. The one exception is a
photo the check was unsure about (``ask``): it is kept only once the student has answered its questions.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

from kiosk.booth import burst, review
from kiosk.booth import messages as msg
from kiosk.booth.events import Answer, ButtonPressed, CodeSeen, CodeSighted, Event, Hints, StaffCommand, Touch
from kiosk.booth.ports import CodeRejected, PhotoNotUsable
from kiosk.core.capture import AcceptedCapture
from kiosk.vision.report import CheckResult

if TYPE_CHECKING:
    from kiosk.booth.machine import Booth, BoothContext

log = logging.getLogger(__name__)


class State:
    name = "state"
    lights = "idle"

    def timeout(self, booth: Booth) -> float | None:
        return None

    def enter(self, booth: Booth) -> State | None:
        return None

    def exit(self, booth: Booth) -> None:
        return None

    def on_event(self, booth: Booth, event: Event) -> State | None:
        if isinstance(event, StaffCommand) and event.command == "pause":
            return Paused()
        if isinstance(event, Touch) and event.action == "cancel":
            return self.leave(booth, "cancelled")
        return None

    def tick(self, booth: Booth, now: float) -> State | None:
        limit = self.timeout(booth)
        if limit is not None and booth.elapsed() >= limit:
            return self.on_timeout(booth)
        return None

    def on_timeout(self, booth: Booth) -> State | None:
        booth.records.record_event("timeout", {"state": self.name})
        out = self.leave(booth, "timeout")
        booth.show_notice(msg.TIMED_OUT)
        return out

    def leave(self, booth: Booth, outcome: str) -> State:
        """End the session (if any) and go back to the start screen."""
        ctx = booth.ctx
        if ctx.session_id is not None:
            try:
                booth.records.end_session(ctx.session_id, "accepted" if ctx.accepted else outcome)
            except Exception as exc:  # a statistic; a full disk must not keep the student here
                log.error("could not close session %s: %s", ctx.session_id, exc)
        ctx.clear_session()
        return Idle()


class Idle(State):
    """Scanning for a capture code; the page shows the dress rules."""

    name = "idle"
    lights = "idle"

    def enter(self, booth: Booth) -> State | None:
        booth.ctx.clear_session()
        booth.ctx.sighting.clear()
        return Paused() if booth.paused else None

    def exit(self, booth: Booth) -> None:
        booth.ctx.sighting.clear()

    def on_event(self, booth: Booth, event: Event) -> State | None:
        if isinstance(event, StaffCommand) and event.command == "pause":
            return Paused()
        if isinstance(event, CodeSeen):
            self._forget_sighting(booth)
            return self._code(booth, event.text)
        if isinstance(event, CodeSighted):
            self._sighted(booth, event.advice)
        return None

    def tick(self, booth: Booth, now: float) -> State | None:
        seen = booth.ctx.sighting
        if seen.since is not None and now - seen.last_at >= booth.settings.scan_hint_clear_s:
            self._forget_sighting(booth)
        return None

    def _sighted(self, booth: Booth, advice: str) -> None:
        """Count what the scanner advises; after ``scan_hint_after_s`` of it, tell the student the most
        frequent advice (a code hovering at the edge of readable flips between two, and the student
        should not see the words flicker)."""
        seen = booth.ctx.sighting
        now = booth.clock.now()
        if seen.since is None:
            seen.since = now
        seen.last_at = now
        seen.votes[advice] = seen.votes.get(advice, 0) + 1
        if now - seen.since >= booth.settings.scan_hint_after_s:
            best = max(seen.votes, key=lambda a: seen.votes[a])
            if best != seen.advice:
                seen.advice = best
                booth.publish()

    def _forget_sighting(self, booth: Booth) -> None:
        had_advice = booth.ctx.sighting.advice is not None
        booth.ctx.sighting.clear()
        if had_advice:
            booth.publish()

    def _code(self, booth: Booth, text: str) -> State | None:
        ctx = booth.ctx
        now = booth.clock.now()
        # A phone held up for several frames, or left in view after a session, starts nothing new.
        if text == ctx.last_code and now - ctx.last_code_at < booth.settings.rescan_cooldown_s:
            ctx.last_code_at = now
            return None
        ctx.last_code, ctx.last_code_at = text, now
        reason = booth.readiness()
        if reason is not None:
            booth.show_notice(reason)
            return None
        try:
            subject = booth.decode(text)
        except CodeRejected as exc:
            booth.records.record_event("code_rejected", {"outcome": exc.outcome})
            booth.show_notice(exc.message)
            return None
        repeat = booth.records.has_accepted_today(subject.uid)
        if repeat and not booth.settings.booth.retake_after_accept:
            booth.records.record_event("already_captured", {})
            booth.show_notice(msg.ALREADY_CAPTURED)
            return None
        try:
            session_id = booth.store(booth.records.start_session, subject)
        except Exception as exc:
            log.error("could not start a session: %s", exc)
            booth.pause_self(f"cannot save to the data folder ({_why(exc)})")
            booth.show_notice(msg.SAVE_FAILED_BEFORE)
            return Paused()
        ctx.subject = subject
        ctx.repeat_capture = repeat
        ctx.session_id = session_id
        ctx.notice = None  # nothing said to the last student carries over to this one
        return Confirm()


class Confirm(State):
    """Show the masked identity; the student confirms it is them."""

    name = "confirm"
    lights = "confirm"

    def timeout(self, booth: Booth) -> float | None:
        return booth.settings.booth.confirm_timeout_s

    def enter(self, booth: Booth) -> State | None:
        if booth.ctx.repeat_capture:
            booth.show_notice(msg.ALREADY_CAPTURED_RETAKE)
        return None

    def on_event(self, booth: Booth, event: Event) -> State | None:
        if isinstance(event, ButtonPressed) or (isinstance(event, Touch) and event.action == "confirm"):
            return Pose()
        return super().on_event(booth, event)


class Pose(State):
    """Live preview with the framing guide; lights up; the student starts the countdown."""

    name = "pose"
    lights = "pose"

    def timeout(self, booth: Booth) -> float | None:
        return booth.settings.booth.pose_timeout_s

    def enter(self, booth: Booth) -> State | None:
        booth.ctx.hints = ()
        booth.ctx.placed = False
        return None

    def on_event(self, booth: Booth, event: Event) -> State | None:
        if isinstance(event, Hints):
            placed = not event.messages
            if event.messages != booth.ctx.hints or placed != booth.ctx.placed:
                booth.ctx.hints = event.messages
                booth.ctx.placed = placed
                booth.publish()
            return None
        if isinstance(event, ButtonPressed) or (isinstance(event, Touch) and event.action == "start"):
            return Countdown()
        return super().on_event(booth, event)


class Countdown(State):
    """3-2-1 with a beep each second, then the still."""

    name = "countdown"
    lights = "countdown"

    def __init__(self) -> None:
        self._beeped = -1

    def tick(self, booth: Booth, now: float) -> State | None:
        elapsed = booth.elapsed()
        total = booth.settings.booth.countdown_s
        if elapsed >= total:
            return Capture()
        second = int(elapsed)
        if second != self._beeped:
            self._beeped = second
            booth.publish()
            try:
                booth.lights.beep(0.08)
            except Exception:
                log.exception("buzzer failed")
        return None


class Capture(State):
    """Take the full-resolution burst (on the first tick, after the page has shown the flash); Analyse
    picks the still to keep (booth/burst.py)."""

    name = "capture"
    lights = "capture"

    def tick(self, booth: Booth, now: float) -> State | None:
        ctx = booth.ctx
        ctx.clear_shot()
        ctx.attempt += 1
        settings = booth.settings.booth
        try:
            ctx.burst = booth.camera.capture_burst(settings.burst_count, settings.burst_gap_s)
            ctx.still = ctx.burst[0]
        except Exception as exc:
            log.error("still capture failed: %s", exc)
            booth.records.record_event("camera_error", {"error": str(exc)[:200]})
            ctx.attempt -= 1
            booth.show_notice(msg.CAMERA_FAILED)
            return Pose()
        ctx.taken_at = booth.clock.wall()
        ctx.capture_id = str(uuid.uuid4())
        return Analyse()


class Analyse(State):
    """Run the compliance check and make the registration photo, in memory."""

    name = "analyse"
    lights = "analyse"

    def tick(self, booth: Booth, now: float) -> State | None:
        ctx = booth.ctx
        assert ctx.still is not None
        try:
            chosen = burst.pick(ctx.burst or [ctx.still], booth.checker.check)
            ctx.burst = []
            ctx.still, ctx.report = chosen.still, chosen.report
            if chosen.index:
                log.info("kept still %d of the burst; the first failed on %s", chosen.index + 1,
                         ", ".join(chosen.first_failures))  # fmt: skip
                booth.records.record_event("burst_kept", {"still": chosen.index + 1,
                                                          "first_failed": list(chosen.first_failures)})  # fmt: skip
            if ctx.report.passed:
                ctx.photo_jpeg = booth.formatter(ctx.still, ctx.report)
            else:
                ctx.photo_jpeg, ctx.review_view = _review_picture(ctx.still, ctx.report)
        except PhotoNotUsable as exc:
            # The checks passed but the head cannot be placed as the spec says: a failure like any other.
            assert ctx.report is not None  # only the formatter raises it, after the check set the report
            ctx.report = ctx.report.with_failure(exc.check_id, exc.message)
            ctx.photo_jpeg, ctx.review_view = _review_picture(ctx.still, ctx.report)
        except Exception:
            log.exception("compliance check failed")
            booth.records.record_event("check_error", {})
            ctx.attempt -= 1
            ctx.clear_shot()
            booth.show_notice(msg.CHECK_FAILED)
            return Pose()
        assert ctx.session_id is not None and ctx.capture_id is not None
        if not _record_verdict(booth):
            # The verdict is shown anyway; a passing photo gets one more try at saving when accepted.
            booth.show_notice(msg.SAVE_FAILED, booth.settings.booth.review_timeout_s)
        return Ask() if unanswered(ctx) else Review()


def unanswered(ctx: BoothContext) -> list[CheckResult]:
    """The asked checks of a passing shot whose question the student has not answered yet, in order."""
    if ctx.report is None or not ctx.report.passed:
        return []
    return [c for c in ctx.report.asked() if c.id not in ctx.answered]


def _why(exc: BaseException) -> str:
    """A short reason for staff: the OS or SQLite message, e.g. "No space left on device"."""
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text[:160]


def _record_verdict(booth: Booth) -> bool:
    """Record the shot's verdict (accepted=0) once; False, with the booth paused, when it cannot be saved.

    The capture row must exist before the photo is queued: it is how a restarted booth finds, by capture
    id, a photo the queue took just before a crash.
    """
    ctx = booth.ctx
    if ctx.verdict_recorded:
        return True
    assert ctx.session_id is not None and ctx.capture_id is not None and ctx.report is not None
    try:
        booth.store(booth.records.record_capture, ctx.session_id, ctx.capture_id, ctx.attempt, ctx.report, False)
    except Exception as exc:
        log.error("could not record the verdict of %s: %s", ctx.capture_id, exc)
        booth.pause_self(f"cannot save to the data folder ({_why(exc)})")
        return False
    ctx.verdict_recorded = True
    return True


def _review_picture(still, report) -> tuple[bytes | None, review.Window | None]:
    """A picture of a rejected shot for the review screen (never stored), and the part it shows."""
    try:
        return review.picture(still, report)
    except Exception:
        log.exception("could not render the review picture")
        return None, None


class Review(State):
    """The photo and the verdict: accept a passing photo, or retake with the reasons shown."""

    name = "review"
    lights = "review"

    def timeout(self, booth: Booth) -> float | None:
        return booth.settings.booth.review_timeout_s

    def enter(self, booth: Booth) -> State | None:
        ctx = booth.ctx
        assert ctx.report is not None
        # The last attempt and a reason only staff can fix are said in the verdict's heading, not in a
        # notice; staff see the second in the events.
        if review.staff_only(ctx.report, ctx.before):
            checks = [f.id for f in ctx.report.failures() if review.needs_staff(f, ctx.before)]
            booth.records.record_event("staff_needed", {"checks": checks})
        return None

    def on_event(self, booth: Booth, event: Event) -> State | None:
        ctx = booth.ctx
        assert ctx.report is not None
        accept = isinstance(event, Touch) and event.action == "accept"
        if accept or (isinstance(event, ButtonPressed) and ctx.report.passed):
            if unanswered(ctx):
                return Ask()
            return self._accept(booth)
        if isinstance(event, Touch) and event.action == "retake":
            if booth.can_retake():
                ctx.before = review.failure_keys(ctx.report)
                ctx.clear_shot()
                return Pose()
            booth.show_notice(msg.NO_RETAKES_LEFT)
            return None
        return super().on_event(booth, event)

    def on_timeout(self, booth: Booth) -> State | None:
        # A photo that passed is kept even if the student walked away without pressing accept.
        if booth.ctx.report is not None and booth.ctx.report.passed and not unanswered(booth.ctx):
            booth.records.record_event("auto_accept", {})
            return self._accept(booth)
        return super().on_timeout(booth)

    def _accept(self, booth: Booth) -> State | None:
        ctx = booth.ctx
        assert ctx.report is not None and ctx.subject is not None
        if not ctx.report.passed:
            return None
        assert ctx.capture_id and ctx.photo_jpeg is not None
        capture = AcceptedCapture(
            capture_id=ctx.capture_id,
            kiosk_id=booth.settings.kiosk_id,
            subject=ctx.subject,
            taken_at=ctx.taken_at,
            profile=booth.checker.profile_name,
            attempt=ctx.attempt,
            report=ctx.report.to_dict(),
            photo_jpeg=ctx.photo_jpeg,
            answered=tuple(ctx.answered),
        )
        try:
            if not _record_verdict(booth):
                raise OSError("the verdict could not be recorded")
            if ctx.answered:
                _record_answers(booth)  # again: the verdict's row may be younger than the answers
            booth.store(booth.sink.submit, capture)
        except Exception as exc:
            return self._save_failed(booth, exc)
        ctx.accepted = True  # the queue holds it: from here on it is accepted, whatever fails below
        try:
            booth.store(booth.records.mark_accepted, ctx.capture_id)
        except Exception as exc:  # settled from the queue when the booth starts again
            log.error("capture %s queued but not marked accepted: %s", ctx.capture_id, exc)
            booth.pause_self(f"cannot save to the data folder ({_why(exc)})")
        return Done()

    def _save_failed(self, booth: Booth, exc: BaseException) -> State | None:
        """Apologise and keep the photo on screen for one more try; the second failure ends the session.

        Either way the booth pauses itself so that no new student starts until staff have looked.
        """
        ctx = booth.ctx
        log.error("saving capture %s failed: %s", ctx.capture_id, exc)
        booth.records.record_event("save_error", {"error": _why(exc)})
        booth.pause_self(f"cannot save to the data folder ({_why(exc)})")
        ctx.save_failures += 1
        if ctx.save_failures >= 2:
            out = self.leave(booth, "save_failed")
            booth.show_notice(msg.SAVE_FAILED_GIVE_UP, booth.settings.booth.notice_s)
            return out
        booth.entered_at = booth.clock.now()  # a fresh review period for the one retry
        booth.show_notice(msg.SAVE_FAILED, booth.settings.booth.review_timeout_s)
        return None


class Ask(Review):
    """A passing photo the check was unsure about: one question at a time, retake or "does not apply".

    Each asked check's message is a question ("if you are wearing earrings or a necklace, please take
    them off and retake"). The student either retakes (an attempt like any other) or answers that it does
    not apply to them; answering the last question accepts the photo through review's acceptance path,
    and the answers travel with it in the sealed envelope.

    The big button does not accept here: it means "yes, go on", and a student who is wearing earrings
    would press it just the same, so it only reminds them to answer on the screen. A student who walks
    away without answering has not said the question does not apply, so the timeout keeps nothing (unlike
    a plain passing photo, which review saves on timeout).
    """

    name = "ask"
    lights = "review"

    def enter(self, booth: Booth) -> State | None:
        return None if unanswered(booth.ctx) else Review()

    def on_event(self, booth: Booth, event: Event) -> State | None:
        ctx = booth.ctx
        pending = unanswered(ctx)
        if isinstance(event, Answer):
            if not pending or event.check_id != pending[0].id:
                return None  # a stale tap for a question no longer on screen
            ctx.answered.append(event.check_id)
            _record_answers(booth)
            if len(pending) > 1:
                booth.publish()
                return None
            # Saved, or (if saving failed) the answered photo waits in review with the notice shown.
            return self._accept(booth) or Review()
        if isinstance(event, ButtonPressed) or (isinstance(event, Touch) and event.action == "accept"):
            booth.show_notice(msg.ANSWER_ON_SCREEN)
            return None
        return super().on_event(booth, event)

    def on_timeout(self, booth: Booth) -> State | None:
        try:
            booth.records.record_event("ask_unanswered", {"checks": [c.id for c in unanswered(booth.ctx)]})
        except Exception as exc:  # a full disk must not keep the booth from going back to the start
            log.warning("could not record the unanswered question: %s", exc)
        return State.on_timeout(self, booth)


def _record_answers(booth: Booth) -> None:
    """Note the answers on the capture's row, for staff statistics. Not fatal: the answers also travel in
    the sealed envelope, which is what the centre reads."""
    ctx = booth.ctx
    assert ctx.capture_id is not None
    try:
        booth.records.record_answers(ctx.capture_id, ctx.answered)
    except Exception as exc:
        log.warning("could not record the answers to %s: %s", ctx.capture_id, exc)


class Done(State):
    """Thank the student; back to the start after a few seconds or a touch."""

    name = "done"
    lights = "done"

    def timeout(self, booth: Booth) -> float | None:
        return booth.settings.booth.done_timeout_s

    def on_timeout(self, booth: Booth) -> State | None:
        return self.leave(booth, "accepted")

    def on_event(self, booth: Booth, event: Event) -> State | None:
        if isinstance(event, Touch) and event.action == "print":
            self._print(booth)
            return None
        if isinstance(event, ButtonPressed | Touch):
            return self.leave(booth, "accepted")
        return super().on_event(booth, event)

    @staticmethod
    def _print(booth: Booth) -> None:
        """Send the sheet to the printer; a printer fault is told to the student and never ends the session."""
        ctx = booth.ctx
        if not booth.can_print():
            return
        assert booth.printer is not None and ctx.still is not None and ctx.report is not None
        assert ctx.report.geometry is not None and ctx.report.geometry.crop is not None
        try:
            ctx.printed = booth.printer.print_sheet(ctx.still, ctx.report.geometry.crop)
        except Exception as exc:
            log.error("printing the sheet failed: %s", exc)
            booth.records.record_event("print_error", {"error": str(exc)[:200]})
            booth.show_notice(msg.PRINT_FAILED)
            return
        booth.records.record_event("printed", {"job": ctx.printed})
        booth.entered_at = booth.clock.now()  # time to read the notice before the start screen returns
        booth.show_notice(msg.PRINTING)


class Paused(State):
    """Staff paused the booth: nothing starts until they resume it."""

    name = "paused"
    lights = "paused"

    def enter(self, booth: Booth) -> State | None:
        booth.paused = True
        if booth.ctx.session_id is not None:
            booth.records.end_session(booth.ctx.session_id, "paused")
            booth.ctx.clear_session()
        return None

    def on_event(self, booth: Booth, event: Event) -> State | None:
        if isinstance(event, StaffCommand) and event.command == "resume":
            booth.paused = False
            booth.pause_reason = None
            return Idle()
        return None
