"""Shared pieces for the staff console tests: the real running booth on mock hardware, a fake /sys, a
signed-in client.

The runtime, booth, camera supervisor, lights, button, records (SQLite in tmp_path) and upload queue are
the real ones (``tests.helpers.fakes.make_booth_rig``); only the pins (gpiozero's mock factory), the camera (a
replay camera), the compliance check and the operating system (/sys, /proc, commands, disk) are fakes.
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kiosk.app.runtime import Runtime
from kiosk.booth import Answer, CodeSeen, Touch
from kiosk.core.clock import FakeClock
from kiosk.core.config import Config, load_config
from kiosk.staff import StaffConsole
from kiosk.staff.auth import PasswordFile
from kiosk.staff.health import SystemProbe
from kiosk.staff.running import PrinterView
from kiosk.web import create_staff_app
from tests.helpers.booth_rig import confirm_and_start, show_code
from tests.helpers.fakes import BoothRig, ScriptedChecker, make_booth_rig

PASSWORD = "correct horse battery"
FAST_HASH = "scrypt:1024:8:1"  # the real cost (n=32768) is tested once; the rest need not pay it
DiskUsage = namedtuple("DiskUsage", "total used free")
GB = 1024**3


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
class Rig(BoothRig):
    """The real running booth (``tests.helpers.fakes.BoothRig``) with its staff console and a test client of its app."""

    console: StaffConsole = field(kw_only=True)
    client: Any = field(kw_only=True)
    tmp_path: Path = field(kw_only=True)


def make_rig(tmp_path: Path, probe: SystemProbe | None = None, printer: PrinterView | None = None, **staff: Any) -> Rig:
    booth = make_booth_rig(tmp_path, printer=printer)
    config = staff_config(booth.data, **staff)
    console = StaffConsole.build(
        booth.runtime, config, clock=booth.clock, probe=probe or fake_system(tmp_path / "root")
    )
    console.passwords = PasswordFile(console.passwords.path, method=FAST_HASH)
    app = create_staff_app(console)
    app.config["TESTING"] = True
    return Rig(**vars(booth), console=console, client=app.test_client(), tmp_path=tmp_path)


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match[1]


def login(client: Any, user: str = "staff", password: str = PASSWORD) -> Any:
    token = csrf_from(client.get("/staff/login").get_data(as_text=True))
    return client.post("/staff/login", data={"user": user, "password": password, "csrf_token": token})


def page_token(client: Any, path: str = "/staff/dashboard") -> str:
    return csrf_from(client.get(path).get_data(as_text=True))


def _scripted(runtime: Runtime) -> tuple[FakeClock, ScriptedChecker]:
    """The test clock and the scripted check of a booth made by ``make_booth_rig``."""
    clock, checker = runtime.booth.clock, runtime.booth.checker
    assert isinstance(clock, FakeClock) and isinstance(checker, ScriptedChecker)
    return clock, checker


def photograph(runtime: Runtime, uid: str, verdicts: Sequence[bool] = (True,), seconds: float = 20.0) -> None:
    """One student: scan, confirm, then one shot per verdict (retake after a rejection, accept a pass)."""
    booth = runtime.booth
    clock, checker = _scripted(runtime)
    checker.verdicts = list(verdicts)
    checker.calls = 0
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


def photograph_asked(runtime: Runtime, uid: str, asks: tuple[str, ...], answer: bool) -> None:
    """One student whose passing photo makes ``asks`` unsure: they answer every question, or walk away."""
    booth = runtime.booth
    clock, checker = _scripted(runtime)
    checker.verdicts, checker.asks, checker.calls = [True], [asks], 0
    show_code(booth, uid)
    confirm_and_start(booth)
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
    checker.asks = [()]
    clock.advance(10)


def staff_rig(tmp_path, **settings):
    """A console rig with the staff password set, closed afterwards (a fixture's ``yield from``)."""
    rig = make_rig(tmp_path, **settings)
    rig.console.passwords.set("staff", PASSWORD)
    try:
        yield rig
    finally:
        rig.console.close()
        rig.close()
