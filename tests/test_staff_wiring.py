"""The staff console's own server, started by start_booth next to the student page and closed with it."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import replace

import pytest

from kiosk.core.config import load_config
from kiosk.core.errors import CliError
from kiosk.demo.director import demo_config
from tests.helpers.fakes import ScriptedChecker


class FakeComplianceChecker(ScriptedChecker):
    """Stands in for the compliance models, which these tests do not exercise."""

    def __init__(self, profile_name: str = "chsi", **_kw: object) -> None:
        super().__init__(profile_name=profile_name)
        self.analyser = object()

    def live_hints(self, frame: object) -> list:
        return []


def status(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""


@pytest.fixture
def config(tmp_path, monkeypatch):
    monkeypatch.setattr("kiosk.vision.checker.ComplianceChecker", FakeComplianceChecker)
    config = demo_config(load_config(data_dir=tmp_path / "data"))
    return replace(config, web=replace(config.web, port=0), staff=replace(config.staff, port=0))


def test_staff_console_has_its_own_server(config):
    import threading

    from kiosk.app.wiring import start_booth
    from kiosk.centre.receiver import serve_until

    running = start_booth(config, demo=True)
    stop = threading.Event()
    student = threading.Thread(target=serve_until, args=(running.server, stop), daemon=True)
    student.start()
    try:
        staff = running.staff_url
        assert staff and staff.startswith("http://127.0.0.1:") and staff.endswith("/staff/")
        root = staff.removesuffix("staff/")
        assert root != running.url
        code, body = status(staff + "login")
        assert code == 200 and "工作人员登录" in body
        code, body = status(root + "metrics")
        assert code == 200 and "kiosk_up 1.0" in body
        assert status(root + "healthz")[0] == 200
        for path in ("", "stream.mjpg", "api/state", "preview.jpg"):
            assert status(root + path)[0] == 404, path
        # ... and the student page serves no staff page
        assert status(running.url)[0] == 200
        assert status(running.url + "staff/login")[0] == 404
        assert status(running.url + "metrics")[0] == 404
    finally:
        stop.set()
        student.join(timeout=5)
        running.close()
    with pytest.raises(OSError):
        urllib.request.urlopen(staff + "login", timeout=2)


def test_staff_console_can_be_turned_off(config):
    from kiosk.app.wiring import start_booth

    running = start_booth(replace(config, staff=replace(config.staff, enabled=False)), demo=True)
    try:
        assert running.staff is None and running.staff_url is None
    finally:
        running.close()


def test_a_taken_staff_port_is_one_line(config):
    import socket

    from kiosk.app.wiring import start_booth

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CliError, match=rf"staff console: cannot listen on 127.0.0.1:{port}"):
            start_booth(replace(config, staff=replace(config.staff, port=port)), demo=True)


def test_closing_the_booth_ends_an_open_event_stream(config):
    """A browser still listening to /events does not keep a server thread past the booth's close."""
    import socket
    import time

    from kiosk.app.wiring import start_booth
    from tests.helpers.servers import serving

    running = start_booth(replace(config, staff=replace(config.staff, enabled=False)), demo=True)
    with serving(running):
        host, port = running.url.removeprefix("http://").rstrip("/").split(":")
        browser = socket.create_connection((host, int(port)), timeout=10)
        browser.sendall(f"GET /events HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        assert b"text/event-stream" in browser.recv(4096)
        started = time.monotonic()
        running.end_streams()
        received = b""
        while not received.endswith(b"0\r\n\r\n"):  # the chunked stream's last chunk: the booth ended it
            piece = browser.recv(4096)
            assert piece, "the connection closed without ending the stream"
            received += piece
        assert time.monotonic() - started < 2
    browser.close()
