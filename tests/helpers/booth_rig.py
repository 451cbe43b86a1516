"""A booth on fake hardware, driven with a fake clock: the state machine tests' rig."""

from __future__ import annotations

from kiosk.booth import Booth, BoothSettings, CodeSeen, Touch
from kiosk.core.clock import FakeClock
from kiosk.core.config import BoothSection
from kiosk.storage.records import BoothRecords
from tests.helpers.fakes import FakeCamera, FakeLights, ListSink, ScriptedChecker, decode


def booth_on_fakes(
    records: object, sink: object, clock: FakeClock, *, kiosk_id: str = "t1", reserve: object | None = None
) -> Booth:
    """A booth on fake camera, lights and a checker that passes, saving to real ``records`` and ``sink``:
    for the tests that restart a booth over the same storage, or give it a broken or full one."""
    return Booth(
        BoothSettings(kiosk_id=kiosk_id),
        clock,
        decode,
        FakeCamera(),
        FakeLights(),
        ScriptedChecker([True]),
        lambda still, report: b"\xff\xd8\xff\xe0photo\xff\xd9",
        records,
        sink,
        reserve=reserve,
    )


def show_code(booth: Booth, uid: str = "2024001") -> None:
    """The student holds up a good capture code for ``uid``."""
    booth.post(CodeSeen(f"GOOD:{uid}"))
    booth.step()


def confirm_and_start(booth: Booth) -> None:
    """The student confirms the masked identity, then touches start on the pose screen."""
    for action in ("confirm", "start"):
        booth.post(Touch(action))
        booth.step()


def let_time_pass(booth: Booth, clock: FakeClock, seconds: float = 5.0, step: float = 0.25) -> None:
    """The booth steps while ``seconds`` go by (the countdown, the capture, the check)."""
    for _ in range(round(seconds / step)):
        clock.advance(step)
        booth.step()


def to_review(booth: Booth, clock: FakeClock, uid: str = "2024001") -> None:
    """From idle to the review screen: code, confirm, start, countdown, photo checked."""
    show_code(booth, uid)
    confirm_and_start(booth)
    let_time_pass(booth, clock)
    assert booth.state.name == "review"


class Rig:
    def __init__(self, tmp_path, verdicts=(True,), booth=None, readiness=None):
        self.clock = FakeClock()
        self.lights = FakeLights()
        self.camera = FakeCamera()
        self.checker = ScriptedChecker(list(verdicts))
        self.sink = ListSink()
        self.records = BoothRecords(tmp_path / "booth.sqlite", b"k" * 32, self.clock)
        self.booth = Booth(
            BoothSettings(kiosk_id="t1", booth=booth or BoothSection()),
            self.clock,
            decode,
            self.camera,
            self.lights,
            self.checker,
            lambda still, report: b"\xff\xd8jpeg",
            self.records,
            self.sink,
            readiness,
        )

    @property
    def state(self) -> str:
        return self.booth.state.name

    def send(self, event) -> None:
        self.booth.post(event)
        self.booth.step()

    def wait(self, seconds: float, step: float = 0.25) -> None:
        t = 0.0
        while t < seconds:
            self.clock.advance(step)
            t += step
            self.booth.step()

    def to_review(self, code: str = "GOOD:2024001") -> None:
        self.send(CodeSeen(code))
        assert self.state == "confirm"
        self.send(Touch("confirm"))
        assert self.state == "pose"
        self.send(Touch("start"))
        assert self.state == "countdown"
        self.wait(3.0)
        self.booth.step()
        self.booth.step()
        assert self.state == "review"
