"""The booth: a queue of events, a current state, and a snapshot the student page renders.

Everything runs on one thread (``step``): other threads only ``post`` events, so states never race.
Entering a state sets the lights and publishes a snapshot; long work (the still, the check) happens in
the state's ``tick`` after the snapshot is out, so the page shows "taking photo" before it blocks.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kiosk.booth import messages as msg
from kiosk.booth import review
from kiosk.booth import states as st
from kiosk.booth.events import Event
from kiosk.booth.ports import (
    CheckerPort,
    CodeDecoder,
    LightsPort,
    PhotoFormatter,
    Readiness,
    Records,
    SheetPrinter,
    SpaceReserve,
    StillCamera,
)
from kiosk.core.capture import CaptureSink, SubjectInfo
from kiosk.core.clock import Clock
from kiosk.core.config import BoothSection
from kiosk.vision.report import Message, Report

log = logging.getLogger(__name__)

StateListener = Callable[[str, str, "BoothContext"], None]


@dataclass(frozen=True)
class BoothSettings:
    kiosk_id: str
    booth: BoothSection = field(default_factory=BoothSection)
    rescan_cooldown_s: float = 8.0
    scan_hint_after_s: float = 1.0  # a code seen but not read for this long gets the student advice
    scan_hint_clear_s: float = 1.5  # and the advice goes once nothing code-like was seen for this long


@dataclass
class Sightings:
    """A code-like thing the scanner sees but cannot read: since when, last seen, and what would help."""

    since: float | None = None
    last_at: float = -1e9
    votes: dict[str, int] = field(default_factory=dict)
    advice: str | None = None  # shown to the student once ``since`` is old enough

    def clear(self) -> None:
        self.since = None
        self.votes = {}
        self.advice = None


@dataclass
class BoothContext:
    """What the current session knows; reset when the booth returns to idle."""

    session_id: int | None = None
    subject: SubjectInfo | None = None
    repeat_capture: bool = False
    attempt: int = 0
    still: np.ndarray | None = None
    burst: list[np.ndarray] = field(default_factory=list)  # the shutter's stills until one is chosen
    taken_at: Any = None
    capture_id: str | None = None
    report: Report | None = None
    photo_jpeg: bytes | None = None
    verdict_recorded: bool = False
    save_failures: int = 0
    review_view: review.Window | None = None  # the part of a failed still its review picture shows
    accepted: bool = False
    printed: str | None = None  # the print job of this student's sheet
    answered: list[str] = field(default_factory=list)  # asked checks the student said do not apply
    notice: Message | None = None
    notice_until: float = 0.0
    hints: tuple[Message, ...] = ()
    before: tuple[tuple[str, str], ...] = ()  # the previous attempt's failures (check id, reason)
    placed: bool = False  # the live view's last frame had the head placed and level (green guide)
    last_code: str | None = None
    last_code_at: float = -1e9
    sighting: Sightings = field(default_factory=Sightings)

    def clear_session(self) -> None:
        self.session_id = None
        self.subject = None
        self.repeat_capture = False
        self.attempt = 0
        self.clear_shot()
        self.accepted = False
        self.printed = None
        self.before = ()

    def clear_shot(self) -> None:
        self.still = None
        self.burst = []
        self.taken_at = None
        self.capture_id = None
        self.report = None
        self.photo_jpeg = None
        self.answered = []
        self.verdict_recorded = False
        self.save_failures = 0
        self.review_view = None


class Booth:
    """Wire the ports in, then ``post`` events from any thread and call ``step`` on one thread."""

    def __init__(
        self,
        settings: BoothSettings,
        clock: Clock,
        decode: CodeDecoder,
        camera: StillCamera,
        lights: LightsPort,
        checker: CheckerPort,
        formatter: PhotoFormatter,
        records: Records,
        sink: CaptureSink,
        readiness: Readiness | None = None,
        reserve: SpaceReserve | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.decode = decode
        self.camera = camera
        self.lights = lights
        self.checker = checker
        self.formatter = formatter
        self.records = records
        self.sink = sink
        self.readiness: Readiness = readiness or (lambda: None)
        self.reserve = reserve
        self.ctx = BoothContext()
        self.printer: SheetPrinter | None = None  # set by the wiring when a printer is configured
        self._events: queue.Queue[Event] = queue.Queue()
        self._listeners: list[StateListener] = []
        self._snapshot: dict[str, Any] = {}
        self._snapshot_lock = threading.Lock()
        self._seq = 0
        self.paused = False
        self.pause_reason: str | None = None  # why the booth paused itself (for staff and /readyz)
        self.recover_acceptances()
        self.state: st.State = st.Idle()
        self.entered_at = clock.now()
        self._go(self._enter(self.state))

    def recover_acceptances(self) -> int:
        """Settle captures that reached the queue but not the booth's records (a crash in between).

        Acceptance is two commits in two files: the queue's row, then the booth's "accepted" mark. A crash
        between them would let the same student start again and give the centre two photos. So before the
        booth takes anyone, every passing capture not marked accepted is looked up in the queue by capture
        id; one the queue holds is marked accepted and its session closed. If the records or the queue
        cannot be read, the booth starts paused rather than risk a second photo.
        """
        try:
            found = [(cid, sid) for cid, sid in self.records.unsettled_captures() if self.sink.holds(cid)]
            for capture_id, session_id in found:
                self.records.settle_accepted(capture_id, session_id)
                log.warning("capture %s was queued before a crash: marked accepted", capture_id)
            if found:
                self.records.record_event("acceptance_recovered", {"captures": len(found)})
        except Exception as exc:
            log.exception("could not reconcile accepted captures with the queue")
            self.pause_self(f"cannot check the queue for earlier acceptances ({type(exc).__name__}: {exc})")
            return 0
        return len(found)

    def store(self, write: Callable[..., Any], *args: Any) -> Any:
        """Run a write the booth cannot do without (a verdict, an acceptance).

        On a storage error (a full disk, SQLite's "database or disk is full") the disk reserve is given
        back and the write is tried once more; if that fails too, the error is raised for the state to
        apologise and the booth to pause.
        """
        try:
            return write(*args)
        except (OSError, sqlite3.Error) as exc:
            if self.reserve is None or not self.reserve.release():
                raise
            log.warning("write failed (%s); retrying with the disk reserve released", exc)
        return write(*args)

    def pause_self(self, reason: str) -> None:
        """Stop taking new students until staff resume; ``reason`` is shown to staff and by /readyz."""
        self.paused = True
        self.pause_reason = reason
        log.error("booth paused itself: %s", reason)
        try:
            self.records.record_event("self_paused", {"reason": reason[:200]})
        except Exception:  # the records may be what failed (a full disk); the log has it
            log.warning("could not record the pause in the booth's records")

    # -- outside world ---------------------------------------------------------------------------
    def post(self, event: Event) -> None:
        """Queue an event; safe from any thread."""
        self._events.put(event)

    def add_state_listener(self, fn: StateListener) -> None:
        """Hook called as fn(old_state, new_state, ctx) after every transition (plug-ins, demo)."""
        self._listeners.append(fn)

    def snapshot(self) -> dict[str, Any]:
        with self._snapshot_lock:
            return dict(self._snapshot)

    @staticmethod
    def preview_jpeg(still: np.ndarray, height: int = 640) -> bytes:
        """A small JPEG of a shot for the review screen, held in memory only."""
        import cv2

        h, w = still.shape[:2]
        if h > height:
            still = cv2.resize(still, (max(1, round(w * height / h)), height), interpolation=cv2.INTER_AREA)
        ok, buf = cv2.imencode(".jpg", still, [cv2.IMWRITE_JPEG_QUALITY, 85])
        if not ok:
            raise ValueError("JPEG encoding failed")
        return buf.tobytes()

    def can_print(self) -> bool:
        """The sheet is offered once, after an accepted photo whose crop is known, when a printer is set."""
        ctx = self.ctx
        geometry = ctx.report.geometry if ctx.report is not None else None
        return (
            self.printer is not None
            and ctx.accepted
            and ctx.printed is None
            and ctx.still is not None
            and geometry is not None
            and geometry.crop is not None
        )

    def can_retake(self) -> bool:
        """A retake is offered while attempts are left, nothing was accepted, and posing again can help."""
        ctx = self.ctx
        if ctx.accepted or ctx.attempt >= self.settings.booth.max_attempts:
            return False
        return ctx.report is None or not review.staff_only(ctx.report, ctx.before)

    @property
    def photo_jpeg(self) -> bytes | None:
        """The shot under review, from memory only (nothing unsealed is written to disk)."""
        return self.ctx.photo_jpeg

    # -- the loop --------------------------------------------------------------------------------
    def step(self) -> None:
        """Handle queued events, then let the current state act on the time."""
        while True:
            try:
                event = self._events.get_nowait()
            except queue.Empty:
                break
            self._go(self.state.on_event(self, event))
        self._go(self.state.tick(self, self.clock.now()))
        if self.ctx.notice and self.clock.now() >= self.ctx.notice_until:
            self.ctx.notice = None
            self.publish()

    def elapsed(self) -> float:
        return self.clock.now() - self.entered_at

    def show_notice(self, message: Message, seconds: float | None = None) -> None:
        self.ctx.notice = message
        self.ctx.notice_until = self.clock.now() + (seconds or self.settings.booth.notice_s)
        self.publish()

    def _go(self, new: st.State | None) -> None:
        while new is not None:
            old = self.state
            old.exit(self)
            self.state = new
            self.entered_at = self.clock.now()
            log.info("booth: %s -> %s", old.name, new.name)
            for fn in self._listeners:
                try:
                    fn(old.name, new.name, self.ctx)
                except Exception:  # a plug-in must never stop the booth
                    log.exception("state listener failed")
            new = self._enter(new)

    def _enter(self, state: st.State) -> st.State | None:
        try:
            self.lights.set_scene(state.lights)
        except Exception:
            log.exception("lights failed in state %s", state.name)
        follow = state.enter(self)
        self.publish()
        return follow

    def publish(self) -> None:
        """Make a fresh snapshot for the student page."""
        self._seq += 1
        snap = self._make_snapshot()
        with self._snapshot_lock:
            self._snapshot = snap

    def _make_snapshot(self) -> dict[str, Any]:
        ctx = self.ctx
        b = self.settings.booth
        snap: dict[str, Any] = {
            "seq": self._seq,
            "state": self.state.name,
            "paused": self.paused,
            "attempt": ctx.attempt,
            "max_attempts": b.max_attempts,
            "notice": ctx.notice.to_dict() if ctx.notice else None,
            "subject": None,
            "countdown": None,
            "verdict": None,
            "photo": None,
            "hints": [h.to_dict() for h in ctx.hints] if self.state.name == "pose" else [],
            "scan_hint": None,
            # A new number for each student, so the page starts them at the top, in Chinese.
            "session": ctx.session_id,
            "placed": ctx.placed and self.state.name in ("pose", "countdown"),
        }
        advice = ctx.sighting.advice
        if self.state.name == "idle" and advice in msg.SCAN_ADVICE:
            snap["scan_hint"] = {"advice": advice, **msg.SCAN_ADVICE[advice].to_dict()}
        if ctx.subject is not None:
            s = ctx.subject
            snap["subject"] = {"name": s.name, "idn": s.idn, "school": s.school, "level": s.level}
            snap["repeat_capture"] = ctx.repeat_capture
        if isinstance(self.state, st.Countdown):
            snap["countdown"] = max(0, int(b.countdown_s - self.elapsed() + 0.999))
        if ctx.report is not None and self.state.name in ("review", "ask", "done"):
            failures = ctx.report.failures()
            staff = review.staff_only(ctx.report, ctx.before)
            snap["verdict"] = {
                "pass": ctx.report.passed,
                "reasons": [
                    {"id": f.id, **f.message.to_dict(), "staff": review.needs_staff(f, ctx.before)}
                    for f in failures[: review.MAX_REASONS]
                ],
                "more": max(0, len(failures) - review.MAX_REASONS),
                "can_retake": self.can_retake(),
                "last_attempt": not ctx.report.passed and ctx.attempt >= b.max_attempts,
                "staff": staff,
                "staff_advised": review.staff_advised(ctx.report),
                "marks": review.marks(ctx.report, ctx.review_view),
            }
        if self.state.name == "done":
            snap["print"] = {"offered": self.can_print(), "job": ctx.printed}
        if ctx.photo_jpeg is not None and self.state.name in ("review", "ask", "done"):
            snap["photo"] = f"/photo/{ctx.capture_id}.jpg"
        snap["question"] = self._question() if isinstance(self.state, st.Ask) else None
        return snap

    def _question(self) -> dict[str, Any] | None:
        """The asked check on screen: its question, the wording of its answer button, and the count."""
        ctx = self.ctx
        pending = st.unanswered(ctx)
        if not pending or ctx.report is None:
            return None
        check = pending[0]
        return {
            "id": check.id,
            **check.message.to_dict(),
            "answer": msg.answer_label(check.id).to_dict(),
            "number": len(ctx.answered) + 1,
            "of": len(ctx.report.asked()),
        }
