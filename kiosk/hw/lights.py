"""The booth's lights, status LED and buzzer, driven per booth state.

Three dimmable lights (key, fill, background) follow the brightness scene the configuration gives
each booth state, so the booth is dim and calm when idle and bright for the photo. The status LED
tells staff at a glance what the booth is doing: steady while working, a slow blink while paused, a
fast blink on a fault. The buzzer gives the short beep that goes with the shutter.

PWM frequency: the lights are dimmed by PWM, and a rolling-shutter sensor turns slow PWM into dark
bands across the photo. The default of 1 kHz puts many PWM cycles inside every row's exposure, which
keeps banding invisible at usual shutter speeds; full brightness (1.0) is not pulsed at all.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TypeVar

from gpiozero import LED, PWMLED, Buzzer, Factory

from kiosk.core.config import LightScene, LightsSection, PinsSection

ERROR_SCENE = "error"
DEFAULT_PWM_HZ = 1000

_D = TypeVar("_D", PWMLED, LED, Buzzer)


@dataclass(frozen=True)
class StatusPattern:
    """How the status LED shows a state: steady on, or blinking with these times."""

    on_s: float | None = None  # None: steady on
    off_s: float = 0.0


STEADY = StatusPattern()
SLOW_BLINK = StatusPattern(1.0, 1.0)
FAST_BLINK = StatusPattern(0.2, 0.2)

# States the status LED blinks in; every other state shows it steady on.
STATUS_PATTERNS: dict[str, StatusPattern] = {"paused": SLOW_BLINK, ERROR_SCENE: FAST_BLINK}


def scene_names() -> tuple[str, ...]:
    """Every name ``Lights.set_scene`` accepts: the booth states of the config, plus "error"."""
    return (*(f.name for f in fields(LightsSection)), ERROR_SCENE)


class Lights:
    """Key, fill and background lights (PWM), the status LED and the buzzer.

    ``set_scene("error")`` uses the paused brightness (the booth is out of service) with a fast
    status blink. All devices use the ``pin_factory`` given, never gpiozero's global default.
    """

    def __init__(
        self,
        pins: PinsSection,
        scenes: LightsSection,
        pin_factory: Factory,
        pwm_frequency_hz: int = DEFAULT_PWM_HZ,
    ) -> None:
        self._scenes = scenes
        self._scene: str | None = None
        self._pattern: StatusPattern | None = None
        self._devices: list[PWMLED | LED | Buzzer] = []
        try:
            self._key = self._add(PWMLED(pins.key_light, frequency=pwm_frequency_hz, pin_factory=pin_factory))
            self._fill = self._add(PWMLED(pins.fill_light, frequency=pwm_frequency_hz, pin_factory=pin_factory))
            self._background = self._add(
                PWMLED(pins.background_light, frequency=pwm_frequency_hz, pin_factory=pin_factory)
            )
            self._status = self._add(LED(pins.status_led, pin_factory=pin_factory))
            self._buzzer = self._add(Buzzer(pins.buzzer, pin_factory=pin_factory))
        except Exception:
            self.close()
            raise

    @property
    def scene(self) -> str | None:
        """The scene last set, or None before the first."""
        return self._scene

    def set_scene(self, name: str) -> None:
        """Set the three lights and the status LED for booth state ``name``; ValueError if unknown."""
        scene = self._lookup(name)
        self._key.value = scene.key
        self._fill.value = scene.fill
        self._background.value = scene.background
        self._set_status(STATUS_PATTERNS.get(name, STEADY))
        self._scene = name

    def beep(self, seconds: float = 0.1) -> None:
        """Sound the buzzer once for ``seconds`` without blocking the caller."""
        if seconds <= 0:
            raise ValueError("beep length must be positive")
        self._buzzer.beep(on_time=seconds, off_time=0, n=1, background=True)

    def levels(self) -> dict[str, float]:
        """What the pins are actually driving, read back from them (for health and self-test)."""
        return {
            "key_light": float(self._key.value),
            "fill_light": float(self._fill.value),
            "background_light": float(self._background.value),
            "status_led": float(self._status.value),
            "buzzer": float(self._buzzer.value),
        }

    def off(self) -> None:
        """Everything off (lights, status LED, buzzer)."""
        for device in self._devices:
            device.off()
        self._pattern = None
        self._scene = None

    def close(self) -> None:
        """Switch everything off and release the pins. Safe to call twice."""
        devices, self._devices = self._devices, []
        for device in reversed(devices):
            device.close()
        self._pattern = None

    def __enter__(self) -> Lights:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _add(self, device: _D) -> _D:
        self._devices.append(device)
        return device

    def _lookup(self, name: str) -> LightScene:
        if name == ERROR_SCENE:
            return self._scenes.paused
        if name not in {f.name for f in fields(LightsSection)}:
            raise ValueError(f"unknown light scene {name!r} (expected one of: {', '.join(scene_names())})")
        scene = getattr(self._scenes, name)
        assert isinstance(scene, LightScene)
        return scene

    def _set_status(self, pattern: StatusPattern) -> None:
        if pattern == self._pattern:
            return  # restarting a blink on every state change would make it stutter
        if pattern.on_s is None:
            self._status.on()
        else:
            self._status.blink(on_time=pattern.on_s, off_time=pattern.off_s, background=True)
        self._pattern = pattern
