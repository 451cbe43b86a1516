"""Fixtures every test module may use: mock GPIO pins, a browser, the shared face photos, centre keys.

Plain helpers (no fixtures) live in tests/helpers/ and are imported from there.
"""

from __future__ import annotations

import logging
import threading
import time
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
def _no_web_server_left_running() -> Iterator[None]:
    """Fail the test that leaves a waitress server's threads running after its fixtures are gone.

    A thread left serving (a browser's event stream, say) logs into whichever test runs when it finally
    fails, so that test fails for nothing it did. Threads get a few seconds to end by themselves.
    """
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5
    while True:
        left = [t.name for t in threading.enumerate() if t not in before and _is_web_server(t)]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not left, f"web server threads still running after the test: {left}"


def _is_web_server(thread: threading.Thread) -> bool:
    """waitress's task threads, and the loops that serve it (kiosk.centre.receiver.serve_until)."""
    name = thread.name
    return thread.is_alive() and (name.startswith("waitress-") or name.endswith("(serve_until)") or name == "staff-web")


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
