"""Why the running booth cannot take a student (``Runtime.readiness_problems``, behind /readyz and the staff
health page), over the real runtime on mock hardware: each problem is listed while its cause holds, and
only then.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.app import runtime as runtime_module
from kiosk.booth import StaffCommand
from kiosk.vision.report import Message
from tests.helpers.fakes import BoothRig, make_booth_rig

FULL = Message("存储空间不足", "Storage is nearly full; please ask staff before continuing")


def _pause(rig: BoothRig) -> None:
    rig.booth.post(StaffCommand("pause"))
    rig.booth.step()


def _disk_full(rig: BoothRig) -> None:
    rig.booth.readiness = lambda: FULL


def _readiness_breaks(rig: BoothRig) -> None:
    def broken() -> Message | None:
        raise OSError(28, "No space left on device")

    rig.booth.readiness = broken


CAUSES: dict[str, tuple[Callable[[BoothRig], None], str]] = {
    "camera stops": (BoothRig.stop_camera, "camera not delivering frames"),
    "staff pause": (_pause, "paused by staff"),
    "booth pauses itself": (
        lambda rig: rig.booth.pause_self("cannot save (No space left on device)"),
        "paused itself: cannot save (No space left on device); staff must look, then resume",
    ),
    "booth says why not": (_disk_full, FULL.en),
    "readiness check raises": (
        _readiness_breaks,
        "readiness check failed: OSError: [Errno 28] No space left on device",
    ),
}


@pytest.mark.parametrize("cause", CAUSES)
def test_each_problem_shows_while_its_cause_holds_and_alone(tmp_path: Path, cause: str) -> None:
    rig = make_booth_rig(tmp_path)
    try:
        assert rig.runtime.readiness_problems() == []
        make_it_so, problem = CAUSES[cause]
        make_it_so(rig)
        assert rig.runtime.readiness_problems() == [problem]
    finally:
        rig.close()


def test_problems_clear_when_their_cause_does(tmp_path: Path) -> None:
    rig = make_booth_rig(tmp_path)
    try:
        rig.stop_camera()
        _pause(rig)
        assert rig.runtime.readiness_problems() == ["camera not delivering frames", "paused by staff"]
        rig.replay.stopped = False  # the camera is back: the supervisor reopens it on the next frame
        rig.feed_frames()
        assert rig.runtime.readiness_problems() == ["paused by staff"]
        rig.booth.post(StaffCommand("resume"))
        rig.booth.step()
        assert rig.runtime.readiness_problems() == []
    finally:
        rig.close()


def test_a_reason_already_given_is_not_repeated(tmp_path: Path) -> None:
    rig = make_booth_rig(tmp_path)
    try:
        rig.booth.pause_self(FULL.en)
        _disk_full(rig)
        assert rig.runtime.readiness_problems() == [
            f"paused itself: {FULL.en}; staff must look, then resume",
        ]
    finally:
        rig.close()


def test_the_booth_loop_must_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rig = make_booth_rig(tmp_path, stepped_by_hand=False)
    runtime = rig.runtime
    release = threading.Event()
    try:
        assert runtime.readiness_problems() == ["booth loop not running"]  # built, not yet started
        runtime.start()
        assert runtime.readiness_problems() == []

        # a step that hangs: the thread lives on, but completes no step for longer than the limit
        monkeypatch.setattr(runtime_module, "LOOP_STALL_S", 0.2)

        def hang() -> None:
            release.wait()

        rig.booth.step = hang  # type: ignore[method-assign]
        time.sleep(0.5)
        assert runtime.readiness_problems() == ["booth loop not running"]
        release.set()
        del rig.booth.step  # the real step again
        time.sleep(0.2)
        assert runtime.readiness_problems() == []

        runtime.loop.stop()
        assert runtime.readiness_problems() == ["booth loop not running"]
    finally:
        release.set()
        rig.close()
