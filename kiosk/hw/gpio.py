"""Make the gpiozero pin factory named by ``gpio.pin_factory``.

The factory is always passed explicitly to each device, never set globally, so tests and the booth
can hold separate mock and real factories. A missing GPIO library is an error, never a quiet switch
to the mock: a booth whose lights silently do nothing is worse than one that refuses to start.
"""

from __future__ import annotations

import importlib
from typing import Any

from gpiozero import Factory


class GpioError(RuntimeError):
    """The pin factory cannot be made; the message is one line for the technician."""


# name -> (module, class, the package that provides the library on Raspberry Pi OS)
_REAL_FACTORIES: dict[str, tuple[str, str, str]] = {
    "lgpio": ("gpiozero.pins.lgpio", "LGPIOFactory", "python3-lgpio"),
    "rpigpio": ("gpiozero.pins.rpigpio", "RPiGPIOFactory", "python3-rpi-lgpio or python3-rpi.gpio"),
    "pigpio": ("gpiozero.pins.pigpio", "PiGPIOFactory", "python3-pigpio, with the pigpiod daemon running"),
    "native": ("gpiozero.pins.native", "NativeFactory", "nothing extra, but a Raspberry Pi"),
}

FACTORY_NAMES = ("mock", *_REAL_FACTORIES)


def make_pin_factory(name: str) -> Factory:
    """A new pin factory: ``"mock"`` (simulated PWM-capable pins) or a real one on a Pi.

    Raises GpioError when the name is unknown, its library is missing, or it cannot reach the pins.
    """
    if name == "mock":
        from gpiozero.pins.mock import MockFactory, MockPWMPin

        return MockFactory(pin_class=MockPWMPin)
    try:
        module_name, class_name, package = _REAL_FACTORIES[name]
    except KeyError:
        raise GpioError(
            f"gpio.pin_factory: unknown factory {name!r} (expected one of: {', '.join(FACTORY_NAMES)})"
        ) from None
    try:
        module: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise GpioError(f"gpio.pin_factory {name!r}: its library is missing ({exc}); install {package}") from None
    try:
        return getattr(module, class_name)()
    except Exception as exc:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise GpioError(f"gpio.pin_factory {name!r}: cannot open the GPIO pins ({detail})") from None
