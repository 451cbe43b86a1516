"""Lights, status LED, buzzer and button on gpiozero's mock pins, checked at the pin level."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import fields
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from kiosk.core.config import GpioSection, LightsSection, PinsSection
from kiosk.hw import lights as lights_mod
from kiosk.hw.button import BoothButton
from kiosk.hw.gpio import GpioError, make_pin_factory
from kiosk.hw.lights import Lights, StatusPattern

PINS = PinsSection()
SCENES = LightsSection()


@pytest.fixture
def lights(factory: MockFactory) -> Iterator[Lights]:
    with Lights(PINS, SCENES, factory) as lit:
        yield lit


def wait_until(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.002)


def test_default_pins_match_the_wiring_doc() -> None:
    assert (PINS.key_light, PINS.fill_light, PINS.background_light) == (12, 13, 18)
    assert (PINS.status_led, PINS.buzzer, PINS.button) == (23, 24, 17)
    assert GpioSection().pin_factory == "mock"


@pytest.mark.parametrize("name", [f.name for f in fields(LightsSection)])
def test_each_default_scene_drives_the_pins(lights: Lights, factory: MockFactory, name: str) -> None:
    scene = getattr(SCENES, name)
    lights.set_scene(name)
    assert factory.pin(PINS.key_light).state == pytest.approx(scene.key)
    assert factory.pin(PINS.fill_light).state == pytest.approx(scene.fill)
    assert factory.pin(PINS.background_light).state == pytest.approx(scene.background)
    assert lights.scene == name
    if name != "paused":
        assert factory.pin(PINS.status_led).state == 1  # steady on while working


def test_levels_read_the_pins_back(lights: Lights) -> None:
    lights.set_scene("pose")
    levels = lights.levels()
    assert levels["key_light"] == pytest.approx(0.8)
    assert levels["fill_light"] == pytest.approx(0.6)
    assert levels["background_light"] == pytest.approx(1.0)
    assert levels["status_led"] == 1.0
    assert levels["buzzer"] == 0.0


def test_lights_pwm_fast_enough_to_avoid_banding(lights: Lights, factory: MockFactory) -> None:
    for pin in (PINS.key_light, PINS.fill_light, PINS.background_light):
        assert factory.pin(pin).frequency == lights_mod.DEFAULT_PWM_HZ


def test_unknown_scene_is_rejected(lights: Lights) -> None:
    with pytest.raises(ValueError, match="unknown light scene 'disco'"):
        lights.set_scene("disco")


def test_status_led_blinks_while_paused(lights: Lights, factory: MockFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(lights_mod.STATUS_PATTERNS, "paused", StatusPattern(0.005, 0.005))
    pin = factory.pin(PINS.status_led)
    lights.set_scene("idle")
    pin.clear_states()
    lights.set_scene("paused")
    wait_until(lambda: sum(1 for s in pin.states if not s.state) >= 2)
    lights.set_scene("idle")
    assert pin.state == 1


def test_error_scene_uses_paused_lights_and_blinks(
    lights: Lights, factory: MockFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(lights_mod.STATUS_PATTERNS, "error", StatusPattern(0.005, 0.005))
    lights.set_scene("capture")
    pin = factory.pin(PINS.status_led)
    pin.clear_states()
    lights.set_scene("error")
    assert factory.pin(PINS.key_light).state == pytest.approx(SCENES.paused.key)
    assert factory.pin(PINS.background_light).state == pytest.approx(SCENES.paused.background)
    wait_until(lambda: sum(1 for s in pin.states if not s.state) >= 2)


def test_beep_is_one_short_pulse_without_blocking(lights: Lights, factory: MockFactory) -> None:
    pin = factory.pin(PINS.buzzer)
    pin.clear_states()
    started = time.monotonic()
    lights.beep(0.1)
    assert time.monotonic() - started < 0.08  # returned before the beep ended
    wait_until(lambda: len(pin.states) >= 3)
    pin.assert_states([False, True, False])
    with pytest.raises(ValueError):
        lights.beep(0)


def test_close_is_idempotent_and_frees_the_pins(factory: MockFactory) -> None:
    lit = Lights(PINS, SCENES, factory)
    lit.set_scene("capture")
    lit.close()
    lit.close()
    again = Lights(PINS, SCENES, factory)  # the pins can be claimed again
    again.close()


def test_off_switches_everything_off(lights: Lights, factory: MockFactory) -> None:
    lights.set_scene("capture")
    lights.off()
    assert all(level == 0 for level in lights.levels().values())
    assert factory.pin(PINS.key_light).state == 0


def test_button_press_calls_handler_once(factory: MockFactory) -> None:
    presses: list[int] = []
    with BoothButton(PINS.button, factory, 0.05, lambda: presses.append(1)) as button:
        pin = factory.pin(PINS.button)
        assert pin.state == 1  # internal pull-up: idle high
        assert not button.is_pressed
        pin.drive_low()
        assert presses == [1]
        assert button.is_pressed
        pin.drive_high()
        assert presses == [1]
    button.close()  # second close is harmless


def test_button_survives_a_failing_handler(factory: MockFactory) -> None:
    def broken() -> None:
        raise RuntimeError("boom")

    with BoothButton(PINS.button, factory, 0, broken):
        factory.pin(PINS.button).drive_low()  # logged, not raised


def test_make_pin_factory_mock_has_pwm_pins() -> None:
    f = make_pin_factory("mock")
    try:
        assert isinstance(f, MockFactory)
        assert isinstance(f.pin(12), MockPWMPin)
    finally:
        f.close()


def test_make_pin_factory_missing_library_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "lgpio", None)  # makes `import lgpio` fail
    monkeypatch.delitem(sys.modules, "gpiozero.pins.lgpio", raising=False)
    with pytest.raises(GpioError, match="python3-lgpio") as err:
        make_pin_factory("lgpio")
    assert "\n" not in str(err.value)


def test_make_pin_factory_unknown_name() -> None:
    with pytest.raises(GpioError, match="unknown factory 'gpio9'"):
        make_pin_factory("gpio9")


@pytest.mark.skipif(Path("/proc/device-tree/model").exists(), reason="a Raspberry Pi: the native factory works here")
def test_native_factory_off_a_pi_is_one_line_from_the_cli(tmp_path: Path) -> None:
    """`gpio.pin_factory = "native"` on a machine that is not a Pi: one line naming the option, exit 2."""
    import subprocess

    from kiosk.codes import Keyring

    config = tmp_path / "kiosk.toml"
    config.write_text('[gpio]\npin_factory = "native"\n[staff]\nenabled = false\n', encoding="utf-8")
    Keyring.generate(tmp_path / "d" / "keyring.toml", "k1")
    done = subprocess.run(
        [sys.executable, "-m", "kiosk", "run", "-c", str(config), "--data", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "gpio.pin_factory 'native': cannot open the GPIO pins" in done.stderr
