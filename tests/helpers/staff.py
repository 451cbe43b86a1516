"""Shared pieces for the staff console tests: a real booth on fake hardware, a fake /sys, a signed-in client.

The booth, its records (SQLite in tmp_path) and its upload queue are the real ones; only the camera,
lights, button, compliance check and the operating system (/sys, /proc, commands, disk) are fakes.
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kiosk.app.preview import FrameHub
from kiosk.booth import Answer, Booth, BoothSettings, CodeSeen, Touch
from kiosk.core.clock import FakeClock
from kiosk.core.config import Config, load_config
from kiosk.hw.supervisor import CameraStatus
from kiosk.queue.outbox import Outbox
from kiosk.staff import StaffConsole
from kiosk.staff.auth import PasswordFile
from kiosk.staff.health import SystemProbe
from kiosk.storage.records import BoothRecords
from kiosk.storage.sealing import generate_centre_keypair, load_public_key
from kiosk.web import create_staff_app
from tests.helpers.fakes import FakeCamera, FakeLights, ScriptedChecker, decode

PASSWORD = "correct horse battery"
FAST_HASH = "scrypt:1024:8:1"  # the real cost (n=32768) is tested once; the rest need not pay it
DiskUsage = namedtuple("DiskUsage", "total used free")
GB = 1024**3


@dataclass
class StatusCamera(FakeCamera):
    """A still camera that also reports the supervisor's status (frame age, fps)."""

    status_value: CameraStatus = field(default_factory=lambda: CameraStatus(True, 0.05, 15.0, None, 0))

    @property
    def healthy(self) -> bool:
        return self.status_value.healthy

    def status(self) -> CameraStatus:
        return self.status_value

    def stop(self, error: str = "preview: camera stopped") -> None:
        self.status_value = CameraStatus(False, 42.0, 0.0, error, 1)


@dataclass
class PinLights(FakeLights):
    """Fake lights that read their pins back, like kiosk.hw.lights.Lights.levels()."""

    scene: str | None = None

    def set_scene(self, name: str) -> None:
        super().set_scene(name)
        self.scene = name

    def levels(self) -> dict[str, float]:
        on = 0.0 if self.scene == "paused" else 0.5
        return {"key_light": on, "fill_light": on, "background_light": on, "status_led": 1.0, "buzzer": 0.0}


@dataclass
class FakeButton:
    is_pressed: bool = False


class FakeRuntime:
    """What kiosk.app.runtime.Runtime offers the staff console, around a real booth."""

    def __init__(self, tmp_path: Path) -> None:
        self.data = tmp_path / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.clock = FakeClock()
        keys = tmp_path / "keys"
        keys.mkdir(exist_ok=True)
        private_pem, public_pem = generate_centre_keypair()
        (keys / "centre.pub").write_bytes(public_pem)
        self.outbox = Outbox(
            self.data, load_public_key(keys / "centre.pub"), "t", clock=lambda: self.clock.wall().timestamp()
        )
        self.camera = StatusCamera()
        self.checker = ScriptedChecker()
        self.lights = PinLights()
        self.records = BoothRecords(self.data / "booth.sqlite", b"s" * 32, self.clock)
        self.booth = Booth(
            BoothSettings(kiosk_id="t"),
            self.clock,
            decode,
            self.camera,
            self.lights,
            self.checker,
            lambda still, report: b"\xff\xd8photo\xff\xd9",
            self.records,
            self.outbox,
        )
        self.hub = FrameHub()
        self.language = "zh"
        self.extras: dict[str, Any] = {"lights": self.lights, "button": FakeButton(), "outbox": self.outbox}
        self.closers: list[Any] = []

    def readiness_problems(self) -> list[str]:
        problems = []
        if not self.camera.healthy:
            problems.append("camera not delivering frames")
        if self.booth.paused:
            problems.append("paused by staff")
        return problems

    def last_step_age(self) -> float:
        return 0.05

    def close(self) -> None:
        self.records.close()
        self.outbox.close()


def fake_system(
    root: Path,
    *,
    temp_c: float = 48.3,
    under_voltage: bool = False,
    throttled: str = "0x0",
    free_bytes: int = 20 * GB,
    synced: str | None = "yes",
) -> SystemProbe:
    """A Pi's /sys and /proc in ``root``, vcgencmd and timedatectl answers, and a disk of 32 GB."""
    zone = root / "sys/class/thermal/thermal_zone0"
    zone.mkdir(parents=True, exist_ok=True)
    (zone / "type").write_text("cpu-thermal\n")
    (zone / "temp").write_text(f"{int(temp_c * 1000)}\n")
    hwmon = root / "sys/class/hwmon/hwmon1"
    hwmon.mkdir(parents=True, exist_ok=True)
    (hwmon / "name").write_text("rpi_volt\n")
    (hwmon / "in0_lcrit_alarm").write_text("1\n" if under_voltage else "0\n")
    (root / "proc").mkdir(parents=True, exist_ok=True)
    (root / "proc/meminfo").write_text("MemTotal:        4000000 kB\nMemFree:  100 kB\nMemAvailable:    2048000 kB\n")
    answers = {"vcgencmd": f"throttled={throttled}", "timedatectl": synced}

    def run(argv: Sequence[str]) -> str | None:
        return answers.get(argv[0])

    return SystemProbe(
        root=root, run=run, disk_usage=lambda _path: DiskUsage(32 * GB, 32 * GB - free_bytes, free_bytes)
    )


def staff_config(data: Path, **staff: Any) -> Config:
    config = load_config(data_dir=data)
    return replace(config, staff=replace(config.staff, **staff))


@dataclass
class Rig:
    runtime: FakeRuntime
    console: StaffConsole
    client: Any
    tmp_path: Path

    @property
    def booth(self) -> Booth:
        return self.runtime.booth

    @property
    def clock(self) -> FakeClock:
        return self.runtime.clock


def make_rig(tmp_path: Path, probe: SystemProbe | None = None, **staff: Any) -> Rig:
    runtime = FakeRuntime(tmp_path)
    config = staff_config(runtime.data, **staff)
    console = StaffConsole.build(runtime, config, clock=runtime.clock, probe=probe or fake_system(tmp_path / "root"))
    console.passwords = PasswordFile(console.passwords.path, method=FAST_HASH)
    app = create_staff_app(console)
    app.config["TESTING"] = True
    return Rig(runtime, console, app.test_client(), tmp_path)


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match[1]


def login(client: Any, user: str = "staff", password: str = PASSWORD) -> Any:
    token = csrf_from(client.get("/staff/login").get_data(as_text=True))
    return client.post("/staff/login", data={"user": user, "password": password, "csrf_token": token})


def page_token(client: Any, path: str = "/staff/dashboard") -> str:
    return csrf_from(client.get(path).get_data(as_text=True))


def photograph(runtime: FakeRuntime, uid: str, verdicts: Sequence[bool] = (True,), seconds: float = 20.0) -> None:
    """One student: scan, confirm, then one shot per verdict (retake after a rejection, accept a pass)."""
    booth, clock = runtime.booth, runtime.clock
    runtime.checker.verdicts = list(verdicts)
    runtime.checker.calls = 0
    booth.post(CodeSeen(f"GOOD:{uid}"))
    booth.step()
    assert booth.state.name == "confirm", booth.snapshot()
    clock.advance(seconds / 2)
    booth.post(Touch("confirm"))
    booth.step()
    for ok in verdicts:
        booth.post(Touch("start"))
        booth.step()
        clock.advance(booth.settings.booth.countdown_s + 0.1)
        for _ in range(3):
            booth.step()
        assert booth.state.name == "review", booth.state.name
        if ok:
            booth.post(Touch("accept"))
            booth.step()
            assert booth.state.name == "done"
            booth.post(Touch("finish"))
            booth.step()
        else:
            booth.post(Touch("retake"))
            booth.step()
    if booth.state.name != "idle":  # the student gave up after a rejection
        booth.post(Touch("cancel"))
        booth.step()
    assert booth.state.name == "idle"
    clock.advance(seconds / 2)


def photograph_asked(runtime: FakeRuntime, uid: str, asks: tuple[str, ...], answer: bool) -> None:
    """One student whose passing photo makes ``asks`` unsure: they answer every question, or walk away."""
    booth, clock = runtime.booth, runtime.clock
    runtime.checker.verdicts, runtime.checker.asks, runtime.checker.calls = [True], [asks], 0
    booth.post(CodeSeen(f"GOOD:{uid}"))
    booth.step()
    for action in ("confirm", "start"):
        booth.post(Touch(action))
        booth.step()
    clock.advance(booth.settings.booth.countdown_s + 0.1)
    for _ in range(3):
        booth.step()
    assert booth.state.name == "ask"
    if answer:
        for check in asks:
            booth.post(Answer(check))
            booth.step()
        assert booth.state.name == "done"
        booth.post(Touch("finish"))
    else:
        clock.advance(booth.settings.booth.review_timeout_s + 1)
    booth.step()
    assert booth.state.name == "idle"
    runtime.checker.asks = [()]
    clock.advance(10)


def staff_rig(tmp_path, **settings):
    """A console rig with the staff password set, closed afterwards (a fixture's ``yield from``)."""
    rig = make_rig(tmp_path, **settings)
    rig.console.passwords.set("staff", PASSWORD)
    try:
        yield rig
    finally:
        rig.console.close()
        rig.runtime.close()
