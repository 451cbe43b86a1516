"""Fakes for the booth's ports (hardware and the compliance check, the only things tests replace), and
the real running booth built on them (``make_booth_rig``)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kiosk.app.runtime import Runtime
from kiosk.booth import Booth, BoothSettings, ButtonPressed
from kiosk.booth.ports import CheckerPort, CodeRejected, PhotoFormatter, Readiness
from kiosk.core.capture import AcceptedCapture, SubjectInfo
from kiosk.core.clock import FakeClock
from kiosk.core.config import LightsSection, PinsSection
from kiosk.hw.button import BoothButton
from kiosk.hw.camera import CameraError
from kiosk.hw.gpio import make_pin_factory
from kiosk.hw.lights import Lights
from kiosk.hw.replay import ReplayCamera
from kiosk.hw.supervisor import SupervisedCamera
from kiosk.queue.outbox import Outbox
from kiosk.staff.running import BoothParts, PrinterView
from kiosk.storage.records import BoothRecords
from kiosk.storage.sealing import generate_centre_keypair, load_public_key
from kiosk.vision.report import CheckResult, Message, Report

ZHANG = SubjectInfo(uid="2024001", name="张**", idn="*****8746", school="示范大学", level="本科")


def decode(text: str) -> SubjectInfo:
    if text.startswith("GOOD:"):
        uid = text.removeprefix("GOOD:")
        return SubjectInfo(uid=uid, name="张**", idn="*****8746", school="示范大学", level="本科")
    raise CodeRejected("tampered", Message("采集码无效", "This code is not valid"))


@dataclass
class FakeLights:
    scenes: list[str] = field(default_factory=list)
    beeps: int = 0

    def set_scene(self, name: str) -> None:
        self.scenes.append(name)

    def beep(self, seconds: float = 0.1) -> None:
        self.beeps += 1


@dataclass
class FakeCamera:
    fail: int = 0
    shots: int = 0

    def capture_still(self) -> np.ndarray:
        if self.fail:
            self.fail -= 1
            raise RuntimeError("camera stopped")
        self.shots += 1
        return np.full((60, 40, 3), 128, np.uint8)

    def capture_burst(self, count: int, gap_s: float) -> list[np.ndarray]:
        """One shot held still: ``count`` identical stills (the booth judges the first alone)."""
        if count < 1:
            raise ValueError("a burst needs at least one still")
        first = self.capture_still()
        return [first] + [first.copy() for _ in range(count - 1)]


QUESTIONS = {
    "jewellery": Message(
        "如果您佩戴了耳环或项链，请摘下后重拍",
        "If you are wearing earrings or a necklace, please take them off and retake",
    ),
    "heavy_makeup": Message(
        "如果您化了浓妆，请卸妆后重拍", "If you are wearing heavy make-up, please remove it and retake"
    ),
    "sharpness": Message("照片可能有些模糊，可以重拍", "The photo may be a little blurred; you may retake it"),
}


@dataclass
class ScriptedChecker:
    """Returns the verdicts it was given, one per photo (the last repeats).

    ``asks`` gives, per photo (the last repeats), the checks that are unsure about a passing photo: they
    pass with ``ask=True`` and a question, as the profile's middle band makes them.
    """

    verdicts: list[bool] = field(default_factory=lambda: [True])
    asks: list[tuple[str, ...]] = field(default_factory=lambda: [()])
    profile_name: str = "chsi"
    calls: int = 0

    def check(self, image: np.ndarray) -> Report:
        n = self.calls
        ok = self.verdicts[min(n, len(self.verdicts) - 1)]
        asked = self.asks[min(n, len(self.asks) - 1)]
        self.calls += 1
        msg = Message("请摘下眼镜", "Please remove your glasses")
        checks = {"glasses": CheckResult("glasses", ok, 0.1 if ok else 0.9, msg)}
        for cid in asked:
            checks[cid] = CheckResult(cid, True, 0.5, QUESTIONS[cid], ask=True)
        order = ("glasses", "jewellery", "heavy_makeup", "sharpness")
        return Report(checks=checks, ms=5.0, order=order)


@dataclass
class ListSink:
    captures: list[AcceptedCapture] = field(default_factory=list)
    fail: int = 0

    def submit(self, capture: AcceptedCapture) -> None:
        if self.fail:
            self.fail -= 1
            raise OSError(28, "No space left on device")
        self.captures.append(capture)

    def holds(self, capture_id: str) -> bool:
        return any(c.capture_id == capture_id for c in self.captures)


class StoppableReplay(ReplayCamera):
    """The replay camera, which can be made to stop delivering, as a camera does when its cable comes loose."""

    stopped = False

    def preview_frame(self) -> np.ndarray:
        if self.stopped:
            raise CameraError("camera stopped")
        return super().preview_frame()

    def capture_still(self) -> np.ndarray:
        if self.stopped:
            raise CameraError("camera stopped")
        return super().capture_still()

    def capture_burst(self, count: int, gap_s: float) -> list[np.ndarray]:
        if self.stopped:
            raise CameraError("camera stopped")
        return super().capture_burst(count, gap_s)


@dataclass
class HandSteppedLoop:
    """The booth loop of a test that steps the booth itself: it runs, and last stepped ``age_s`` ago."""

    age_s: float = 0.05
    stalled: bool = False

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def running(self) -> bool:
        return not self.stalled

    def last_step_age(self) -> float:
        return self.age_s


GREY_STILL = np.full((60, 40, 3), 128, np.uint8)


@dataclass
class BoothRig:
    """The real ``Runtime`` around a real booth, its records and upload queue, on mock hardware only:
    gpiozero mock pins for the lights and the button, a replay camera behind the real camera supervisor,
    and a scripted compliance check. The booth is stepped by the test (``HandSteppedLoop``) unless made
    with ``stepped_by_hand=False``; the camera keeps its own clock, so feeding it frames moves no booth timer.
    """

    runtime: Runtime
    clock: FakeClock
    camera_clock: FakeClock
    replay: StoppableReplay
    checker: CheckerPort
    data: Path

    @property
    def booth(self) -> Booth:
        return self.runtime.booth

    @property
    def outbox(self) -> Outbox:
        return self.runtime.parts.outbox

    @property
    def records(self) -> BoothRecords:
        records = self.runtime.booth.records
        assert isinstance(records, BoothRecords)
        return records

    @property
    def lights(self) -> Lights:
        lights = self.runtime.parts.lights
        assert isinstance(lights, Lights)
        return lights

    def feed_frames(self, count: int = 16, fps: float = 15.0) -> None:
        """``count`` preview frames through the supervisor, ``fps`` a second (as the preview pump reads them)."""
        for _ in range(count):
            self.runtime.camera.preview_frame()
            self.camera_clock.advance(1.0 / fps)

    def stop_camera(self, after_s: float = 42.0) -> None:
        """The camera stops: the supervisor sees a preview fail, reopens the camera once, sees it fail again,
        and ``after_s`` seconds pass since the last frame."""
        self.replay.stopped = True
        last_frame_at = self.camera_clock.now() - (self.runtime.camera.status().last_frame_age_s or 0.0)
        for wait in (0.0, 1.5):
            self.camera_clock.advance(wait)
            with contextlib.suppress(CameraError):
                self.runtime.camera.preview_frame()
        self.camera_clock.advance(max(0.0, last_frame_at + after_s - self.camera_clock.now()))

    def close(self) -> None:
        self.runtime.stop()


def make_booth_rig(
    tmp_path: Path,
    *,
    stepped_by_hand: bool = True,
    readiness: Readiness | None = None,
    printer: PrinterView | None = None,
    checker: CheckerPort | None = None,
    still: np.ndarray = GREY_STILL,
    settings: BoothSettings | None = None,
    formatter: PhotoFormatter | None = None,
) -> BoothRig:
    """A ``BoothRig`` in ``tmp_path`` (data in ``data/``, the centre's public key in ``keys/centre.pub``), its
    camera showing ``still`` and already delivering frames.

    ``checker`` defaults to a ``ScriptedChecker`` that passes every photo; ``formatter`` to fixed bytes.
    """
    data = tmp_path / "data"
    data.mkdir(parents=True, exist_ok=True)
    clock, camera_clock = FakeClock(), FakeClock()
    _private, public_pem = generate_centre_keypair()
    keys = tmp_path / "keys"
    keys.mkdir(exist_ok=True)
    (keys / "centre.pub").write_bytes(public_pem)
    outbox = Outbox(data, load_public_key(keys / "centre.pub"), "t", clock=lambda: clock.wall().timestamp())
    replay = StoppableReplay(preview_size=(128, 72), clock=camera_clock, sleep=lambda _s: None)
    replay.show([still])
    camera = SupervisedCamera(lambda: replay, clock=camera_clock)
    camera.start()
    pins = make_pin_factory("mock")
    lights = Lights(PinsSection(), LightsSection(), pins)
    records = BoothRecords(data / "booth.sqlite", b"s" * 32, clock)
    checker = checker if checker is not None else ScriptedChecker()
    booth = Booth(
        settings or BoothSettings(kiosk_id="t"),
        clock,
        decode,
        camera,
        lights,
        checker,
        formatter or (lambda shot, report: b"\xff\xd8photo\xff\xd9"),
        records,
        outbox,
        readiness,
    )
    booth.printer = None
    button = BoothButton(PinsSection().button, pins, 0.0, on_press=lambda: booth.post(ButtonPressed()))
    runtime = Runtime.assemble(
        booth,
        camera,
        BoothParts(lights=lights, button=button, outbox=outbox, printer=printer),
        preview_fps=15.0,
        loop=HandSteppedLoop() if stepped_by_hand else None,
        closers=[lights, records, outbox, button],
    )
    rig = BoothRig(runtime, clock, camera_clock, replay, checker, data)
    rig.feed_frames()
    return rig
