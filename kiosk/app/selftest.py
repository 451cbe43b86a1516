"""The booth's self-test: is every part a student depends on working, and if not, what to do about it.

Run by the technician after installing (``kiosk selftest``), by the installer before it starts the
services, and on the first morning of a booth day. This module picks the checks for a configuration and
builds each from the same parts the booth itself uses; the checks live by job in ``kiosk.app.hardware``
(camera, lights, button, QR reader, models), ``kiosk.app.surroundings`` (disk, clock, upload target)
and ``kiosk.app.readiness`` (keys, credentials, staff password, calibration), and ``kiosk.app.checks``
runs them and formats the report.

The booth must not be running at the same time: it holds the camera and the GPIO pins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kiosk.app.checks import Check, CheckResult
from kiosk.app.hardware import (
    ButtonLike,
    CameraLike,
    LightsLike,
    PinFactory,
    check_button,
    check_camera,
    check_lights,
    check_models,
    check_qr,
)
from kiosk.app.surroundings import check_clock, check_disk, check_upload
from kiosk.core.config import Config, LightsSection

CHECK_NAMES = (
    "camera",
    "lights",
    "button",
    "qr",
    "models",
    "keyring",
    "centre_key",
    "credentials",
    "staff",
    "calibration",
    "disk",
    "clock",
    "upload",
)
# What decides whether the booth (or its uploader) can serve at all, read from files only, never from
# the camera or the pins: the checks ``kiosk selftest --gate`` runs before systemd starts a service.
GATE_CHECKS = {
    "booth": frozenset({"models", "keyring", "centre_key", "staff", "disk"}),
    "uploader": frozenset({"credentials"}),
}


@dataclass(frozen=True)
class SelftestOptions:
    """What the command line chose: how long to wait for the button, which QR picture, what to skip."""

    button_wait_s: float = 0.0
    qr_image: np.ndarray | None = None
    qr_label: str = ""
    models_dir: Path | None = None
    light_hold_s: float | None = None  # None: 0.4 s on real pins, 0 on the simulated ones
    skip: frozenset[str] = frozenset()
    gate: str | None = None  # "booth" or "uploader": only GATE_CHECKS[gate]


def default_checks(
    config: Config, options: SelftestOptions, pins: PinFactory, prompt: Callable[[str], None]
) -> list[Check]:
    """The checks for this booth's configuration, built from the same parts the booth itself uses."""
    from kiosk.app import readiness
    from kiosk.hw.button import BoothButton
    from kiosk.hw.factory import open_camera
    from kiosk.hw.lights import Lights
    from kiosk.hw.replay import ReplayCamera

    hold_s = options.light_hold_s
    if hold_s is None:
        hold_s = 0.0 if config.gpio.pin_factory == "mock" else 0.4

    def make_lights(scenes: LightsSection) -> LightsLike:
        return Lights(config.gpio.pins, scenes, pins.get())

    def make_button(on_press: Callable[[], None]) -> ButtonLike:
        return BoothButton(config.gpio.pins.button, pins.get(), config.gpio.button_bounce_s, on_press)

    def qr() -> CheckResult:
        from kiosk.codes.qr import QrReader

        return check_qr(QrReader(), options.qr_image, options.qr_label)

    from kiosk.vision.model_dir import models_dir as find_models_dir

    def camera() -> CameraLike:
        opened = open_camera(config.camera, config.data_dir)
        if isinstance(opened, ReplayCamera) and not config.camera.replay_dir:
            # kiosk.example.toml: an empty replay_dir means the built-in scene, as the booth plays it.
            from kiosk.demo.director import synthetic_scene

            opened.show([synthetic_scene()])
        return opened

    models_dir = find_models_dir(options.models_dir)
    checks: list[Check] = [
        ("camera", lambda: check_camera(camera, config.camera.source)),
        ("lights", lambda: check_lights(make_lights, hold_s)),
        ("button", lambda: check_button(make_button, options.button_wait_s, prompt)),
        ("qr", qr),
        ("models", lambda: check_models(models_dir)),
        ("keyring", lambda: readiness.check_keyring(config)),
        ("centre_key", lambda: readiness.check_centre_key(config)),
        ("credentials", lambda: readiness.check_credentials(config)),
        ("staff", lambda: readiness.check_staff_password(config)),
        ("calibration", lambda: readiness.check_calibration(config)),
        ("disk", lambda: check_disk(config.data_dir, config.upload.min_free_mb)),
        ("clock", lambda: check_clock()),
        ("upload", lambda: check_upload(config)),
    ]
    wanted = GATE_CHECKS[options.gate] if options.gate else frozenset(CHECK_NAMES)
    return [(name, check) for name, check in checks if name in wanted and name not in options.skip]
