"""Fixtures every test module may use: mock GPIO pins, a browser, the shared face photos, centre keys.

Plain helpers (no fixtures) live in tests/helpers/ and are imported from there.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.browser import CHROMIUM, CHROMIUM_ARGS
from tests.helpers.paths import FACES
from tests.helpers.upload import Keys, write_keys


@pytest.fixture
def factory() -> Iterator:
    """gpiozero's mock pins, PWM-capable so the lights' PWMLEDs work on them."""
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    f = MockFactory(pin_class=MockPWMPin)
    yield f
    f.close()


@pytest.fixture
def launch_browser() -> Iterator:
    """Opens pages in Debian's chromium through Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)

        def new_page(width: int = 1280, height: int = 800):
            return browser.new_page(viewport={"width": width, "height": height})

        yield new_page
        browser.close()


@pytest.fixture
def faces_dir() -> Path:
    if not (FACES / "labels.csv").is_file():
        pytest.skip(f"shared face photos not found at {FACES}")
    return FACES


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    """A centre key pair on disk."""
    return write_keys(tmp_path / "keys")


@pytest.fixture(autouse=True)
def _fresh_cli_logging() -> Iterator[None]:
    """Drop the stderr handler ``kiosk.cli.main`` puts on the root logger.

    It writes to the stderr pytest captured for the test that first called main(); later tests would
    log into that closed stream. pytest's own handlers are subclasses and are left alone.
    """
    _drop_plain_handlers()
    yield
    _drop_plain_handlers()


def _drop_plain_handlers() -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if type(handler) is logging.StreamHandler:
            root.removeHandler(handler)
