"""What staff can do to the booth, each step written to the audit log with who, when and what.

The web console and the command line both go through here, so an action is audited the same way
whichever way it was taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.booth import StaffCommand
from kiosk.core.clock import Clock
from kiosk.staff.audit import AuditLog
from kiosk.staff.running import RunningBooth
from kiosk.staff.schedule import ImportResult, ScheduleError, read_schedule, save_batches
from kiosk.staff.store import StaffStore
from kiosk.staff.voids import VoidResult, void_capture

if TYPE_CHECKING:
    from kiosk.queue.outbox import Outbox
    from kiosk.vision.calibration import Calibration


@dataclass(frozen=True)
class Actor:
    """Who is acting, and from where (an address, or "cli")."""

    user: str
    remote: str = ""


class StaffActions:
    """Staff's actions on ``runtime``; None for the command line, which imports schedules only."""

    def __init__(
        self,
        runtime: RunningBooth | None,
        store: StaffStore,
        audit: AuditLog,
        clock: Clock,
        data_dir: Path | None = None,
    ) -> None:
        self.runtime = runtime
        self.store = store
        self.audit = audit
        self.clock = clock
        self.data_dir = data_dir

    def calibrate(self, actor: Actor, kind: str) -> Calibration:
        """Measure the backdrop (``kind="backdrop"``: nobody in front) or the pose zero (``"pose"``:
        someone seated, looking at the lens) from a still under the capture lights, store it and use it
        from the next photo on. Only while the booth is paused, so no student is in the picture."""
        from kiosk.vision.calibration import Calibration, CalibrationError, measure_backdrop, measure_pose_zero

        if kind not in ("backdrop", "pose") or self.data_dir is None:
            raise CalibrationError(f"cannot calibrate {kind!r} here")
        runtime = self._running()
        booth = runtime.booth
        if not booth.paused:
            raise CalibrationError("pause the booth first, so no student is in the picture")
        lights = runtime.parts.lights
        before = lights.scene
        try:
            lights.set_scene("capture")
            still = runtime.camera.capture_still()
        except CalibrationError:
            raise
        except Exception as exc:
            raise CalibrationError(f"no picture from the camera: {exc}") from None
        finally:
            if before:
                lights.set_scene(before)
        stored = Calibration.load(self.data_dir)
        checker = booth.checker
        if kind == "pose":
            updated = stored.with_pose(measure_pose_zero(checker, still))
        else:
            updated = stored.with_backdrop(measure_backdrop(still))
        updated.save(self.data_dir)
        if hasattr(checker, "apply_calibration"):
            checker.apply_calibration(updated)
        self.audit.record(actor.user, "calibrate", kind, {"result": updated.summary()}, actor.remote)
        return updated

    @property
    def outbox(self) -> Outbox | None:
        return None if self.runtime is None else self.runtime.parts.outbox

    def _running(self) -> RunningBooth:
        if self.runtime is None:
            raise RuntimeError("this action needs the running booth")
        return self.runtime

    def pause(self, actor: Actor) -> None:
        self._running().booth.post(StaffCommand("pause"))
        self.audit.record(actor.user, "pause", "booth", remote=actor.remote)

    def resume(self, actor: Actor) -> None:
        self._running().booth.post(StaffCommand("resume"))
        self.audit.record(actor.user, "resume", "booth", remote=actor.remote)

    def void(self, actor: Actor, capture_id: str, reason: str) -> VoidResult:
        result = void_capture(self.store, self.outbox, capture_id, reason, actor.user, self.clock.wall())
        self.audit.record(
            actor.user, "void", capture_id, {"reason": " ".join(reason.split()), "queue": result.queue}, actor.remote
        )
        return result

    def retry(self, actor: Actor, capture_id: str | None) -> list[str]:
        """Send one quarantined upload again (or all of them with ``capture_id=None``)."""
        outbox = self.outbox
        if outbox is None:
            return []
        if capture_id is None:
            sent = outbox.retry_all_quarantined()
        else:
            outbox.retry(capture_id)  # OutboxError when it cannot be retried
            sent = [capture_id]
        self.audit.record(actor.user, "retry", capture_id or "all quarantined", {"retried": sent}, actor.remote)
        return sent

    def import_schedule(self, actor: Actor, data: bytes, filename: str) -> ImportResult:
        try:
            batches = read_schedule(data, filename)
        except ScheduleError as exc:
            self.audit.record(
                actor.user, "schedule_import_failed", filename, {"problems": exc.problems[:5]}, actor.remote
            )
            raise
        result = save_batches(self.store, batches, filename, self.clock.wall())
        self.audit.record(
            actor.user,
            "schedule_import",
            filename,
            {"batches": result.batches, "days": result.days, "replaced": result.replaced},
            actor.remote,
        )
        return result
