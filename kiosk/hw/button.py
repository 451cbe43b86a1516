"""The big button the student presses to start, take the photo and accept it.

Wired from the GPIO pin to ground with the Pi's internal pull-up, so a broken wire reads as "not
pressed" rather than as a stream of phantom presses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from gpiozero import Button, Factory

log = logging.getLogger(__name__)


class BoothButton:
    """Calls ``on_press`` once per press, on gpiozero's event thread.

    A failing handler is logged and swallowed so one bad press cannot stop the button from working.
    ``bounce_s`` of 0 turns debouncing off.
    """

    def __init__(self, pin: int, pin_factory: Factory, bounce_s: float, on_press: Callable[[], None]) -> None:
        self._on_press = on_press
        self._button: Button | None = Button(
            pin, pull_up=True, bounce_time=bounce_s if bounce_s > 0 else None, pin_factory=pin_factory
        )
        self._button.when_pressed = self._pressed

    @property
    def is_pressed(self) -> bool:
        """Whether the button is held down right now (for the self-test)."""
        return self._button is not None and bool(self._button.is_pressed)

    def close(self) -> None:
        """Stop listening and release the pin. Safe to call twice."""
        button, self._button = self._button, None
        if button is not None:
            button.when_pressed = None
            button.close()

    def __enter__(self) -> BoothButton:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _pressed(self) -> None:
        try:
            self._on_press()
        except Exception:
            log.exception("button handler failed")
