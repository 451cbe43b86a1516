"""The booth under storage faults: a crash between the queue and its own records, a full disk, a stuck step."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from kiosk.booth import Booth, CodeSeen, StaffCommand, Touch
from kiosk.core.clock import FakeClock
from kiosk.queue.outbox import Outbox
from kiosk.storage.records import BoothRecords
from kiosk.storage.reserve import DiskReserve
from tests.helpers.booth_rig import Rig, booth_on_fakes, confirm_and_start, let_time_pass, show_code, to_review
from tests.helpers.fakes import ListSink, make_booth_rig
from tests.helpers.tinyfs import fill, tiny_filesystem
from tests.helpers.upload import Keys


def _booth(records, sink, clock, reserve=None) -> Booth:
    return booth_on_fakes(records, sink, clock, reserve=reserve)


def test_capture_queued_but_not_marked_is_settled_before_the_next_student(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.to_review()
    capture_id = rig.booth.ctx.capture_id
    session_id = rig.booth.ctx.session_id
    # The crash: the queue took the photo, the booth never wrote its own "accepted".
    rig.records.mark_accepted = lambda _cid: (_ for _ in ()).throw(SystemExit("killed"))  # type: ignore[method-assign]
    with contextlib.suppress(SystemExit):
        rig.send(Touch("accept"))
    assert len(rig.sink.captures) == 1
    records = BoothRecords(tmp_path / "booth.sqlite", b"k" * 32, rig.clock)
    assert records.unsettled_captures() == [(capture_id, session_id)]
    booth = _booth(records, rig.sink, rig.clock)  # the restarted booth, same queue
    assert records.unsettled_captures() == []
    assert [c["id"] for c in records.accepted_captures()] == [capture_id]
    booth.post(CodeSeen("GOOD:2024001"))
    booth.step()
    assert booth.state.name == "idle"
    assert "already taken" in booth.snapshot()["notice"]["en"]
    assert records.event_counts()["acceptance_recovered"] == 1


def test_a_passing_capture_the_queue_never_got_stays_unaccepted(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.to_review()
    rig.records.close()
    records = BoothRecords(tmp_path / "booth.sqlite", b"k" * 32, rig.clock)
    booth = _booth(records, ListSink(), rig.clock)
    assert records.accepted_captures() == []
    booth.post(CodeSeen("GOOD:2024001"))
    booth.step()
    assert booth.state.name == "confirm"  # the student may take their photo


def test_a_queue_that_cannot_be_read_at_start_pauses_the_booth(tmp_path: Path) -> None:
    class BrokenSink(ListSink):
        def holds(self, capture_id: str) -> bool:
            raise OSError(5, "Input/output error")

    rig = Rig(tmp_path)
    rig.to_review()
    booth = _booth(rig.records, BrokenSink(), rig.clock)
    assert booth.state.name == "paused" and "Input/output error" in (booth.pause_reason or "")


def test_full_disk_during_a_session_is_saved_from_the_reserve(tmp_path: Path, keys: Keys) -> None:
    """A real 6 MB filesystem filled up by another program while the student poses."""
    with tiny_filesystem(tmp_path / "disk", 6 * 1024) as disk:
        data = disk / "data"
        clock = FakeClock()
        records = BoothRecords.open(data, clock)
        outbox = Outbox(data, keys.public, "t1", min_free_mb=0)
        reserve = DiskReserve(data, 2)
        assert reserve.ensure()
        booth = _booth(records, outbox, clock, reserve)
        show_code(booth)
        fill(disk)
        confirm_and_start(booth)
        let_time_pass(booth, clock)
        booth.post(Touch("accept"))
        booth.step()
        assert booth.state.name == "done"
        assert not reserve.held()
        capture_id = booth.ctx.capture_id
        assert outbox.get(capture_id).state == "pending"
        assert [c["id"] for c in records.accepted_captures()] == [capture_id]
        records.close()
        outbox.close()


def test_full_disk_without_reserve_apologises_keeps_the_photo_once_and_pauses(tmp_path: Path, keys: Keys) -> None:
    with tiny_filesystem(tmp_path / "disk", 6 * 1024) as disk:
        data = disk / "data"
        clock = FakeClock()
        records = BoothRecords.open(data, clock)
        outbox = Outbox(data, keys.public, "t1", min_free_mb=0)
        booth = _booth(records, outbox, clock, DiskReserve(data, 0))
        to_review(booth, clock)
        filler = fill(disk)
        booth.post(Touch("accept"))
        booth.step()
        snap = booth.snapshot()
        assert snap["state"] == "review" and snap["photo"] is not None  # the photo stays for one retry
        assert "could not be saved" in snap["notice"]["en"]
        assert booth.paused and "No space left" in (booth.pause_reason or "") or "full" in (booth.pause_reason or "")
        booth.post(Touch("accept"))
        booth.step()
        assert booth.state.name == "paused"  # second failure: the session ends, nobody new starts
        assert booth.snapshot()["notice"]["en"].startswith("We are sorry")
        assert outbox.entries() == [] and not [p for p in outbox.dir.iterdir() if p.name.endswith(".xce")]
        # Staff free space and resume: the next student is served.
        filler.unlink()
        booth.post(StaffCommand("resume"))
        booth.step()
        assert booth.state.name == "idle" and booth.pause_reason is None
        to_review(booth, clock, uid="2024002")
        booth.post(Touch("accept"))
        booth.step()
        assert booth.state.name == "done" and len(outbox.entries()) == 1
        records.close()
        outbox.close()


def test_full_disk_while_recording_the_verdict_does_not_rerun_the_check(tmp_path: Path, keys: Keys) -> None:
    with tiny_filesystem(tmp_path / "disk", 6 * 1024) as disk:
        data = disk / "data"
        clock = FakeClock()
        records = BoothRecords.open(data, clock)
        outbox = Outbox(data, keys.public, "t1", min_free_mb=0)
        booth = _booth(records, outbox, clock, DiskReserve(data, 0))
        show_code(booth)
        confirm_and_start(booth)
        fill(disk)
        let_time_pass(booth, clock, 10.0)
        assert booth.state.name == "review"
        assert booth.checker.calls == 1  # checked once, not again on every step
        assert booth.paused and booth.pause_reason
        assert "could not be saved" in booth.snapshot()["notice"]["en"]
        records.close()
        outbox.close()


def test_a_step_that_raises_does_not_feed_the_watchdog(tmp_path: Path) -> None:
    rig = make_booth_rig(tmp_path, stepped_by_hand=False)

    def full_disk() -> None:
        raise OSError(28, "No space left on device")

    rig.booth.step = full_disk  # type: ignore[method-assign]
    rig.runtime.start()
    try:
        time.sleep(0.6)
        assert not rig.runtime.alive(max_step_age_s=0.4)
        assert "booth loop not running" not in rig.runtime.readiness_problems()  # it runs, it just fails
    finally:
        rig.close()


def test_a_booth_stuck_analysing_is_not_alive(tmp_path: Path) -> None:
    rig = make_booth_rig(tmp_path)
    runtime = rig.runtime
    assert runtime.alive()
    rig.booth.state.name = "analyse"  # as if the check had been running since the state was entered
    rig.clock.advance(runtime.analyse_limit_s - 1)
    assert runtime.alive()
    rig.clock.advance(2)
    assert not runtime.alive()
    rig.close()


def test_readyz_says_why_with_503_never_500(tmp_path: Path) -> None:
    from kiosk.web import create_app

    rig = make_booth_rig(tmp_path, stepped_by_hand=False)
    rig.runtime.start()
    try:
        client = create_app(rig.runtime, max_streams=1).test_client()
        assert client.get("/readyz").status_code == 200
        rig.booth.pause_self("cannot save to the data folder (No space left on device)")
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert any("No space left on device" in p for p in answer.get_json()["problems"])

        def broken() -> None:
            raise OSError(28, "No space left on device")

        rig.booth.readiness = broken  # type: ignore[assignment]
        answer = client.get("/readyz")
        assert answer.status_code == 503 and any("readiness check failed" in p for p in answer.get_json()["problems"])
    finally:
        rig.close()


def test_staff_see_that_the_booth_paused_itself_and_why() -> None:
    from kiosk.staff.health import BoothHealth, DiskHealth, HealthMonitor, ModelHealth, QueueHealth, SystemHealth

    reason = "paused itself: cannot save to the data folder (No space left on device); staff must look, then resume"
    booth = BoothHealth("paused", True, False, [reason], 0.1)
    warnings = HealthMonitor._warnings(
        booth,
        None,
        ModelHealth(True, "chsi", None, None),
        DiskHealth("/data", 1.0, 2000.0, 500, False),
        SystemHealth(None, None, None, None, None, None, None, None, None),
        QueueHealth(available=True),
    )
    paused = [w for w in warnings if w.key == "paused"]
    assert len(paused) == 1 and paused[0].level == "bad" and "No space left on device" in paused[0].en
    assert "paused by staff" not in paused[0].en
    assert not [w for w in warnings if w.key == "not_ready" and "paused itself" in w.en]
