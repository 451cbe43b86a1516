"""sd_notify over a real AF_UNIX datagram socket, the watchdog that stops when the booth hangs, and the
journald-friendly log lines."""

from __future__ import annotations

import io
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.ops.logs import (
    IdentityFilter,
    JournalFormatter,
    mask_identity,
    setup_logging,
    syslog_priority,
    under_journald,
)
from kiosk.ops.notify import Notifier, Watchdog, watchdog_interval


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    """A stand-in for systemd's notification socket: (receiving socket, $NOTIFY_SOCKET value)."""
    path = tmp_path / "notify.sock"
    if len(str(path)) >= 100:  # AF_UNIX paths are limited to about 108 bytes
        pytest.skip("temporary folder path too long for an AF_UNIX socket")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2.0)
    yield sock, str(path)
    sock.close()


def receive(sock: socket.socket) -> str:
    return sock.recv(4096).decode("utf-8")


def drain(sock: socket.socket, seconds: float) -> list[str]:
    """Every datagram that arrives within ``seconds``."""
    messages = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            messages.append(receive(sock))
        except TimeoutError:
            break
    return messages


def drain_now(sock: socket.socket) -> list[str]:
    """Every datagram already waiting."""
    messages = []
    sock.setblocking(False)
    try:
        while True:
            messages.append(receive(sock))
    except BlockingIOError:
        pass
    finally:
        sock.settimeout(2.0)
    return messages


def test_ready_arrives_with_status(notify_socket: tuple[socket.socket, str]) -> None:
    sock, address = notify_socket
    notifier = Notifier.from_env({"NOTIFY_SOCKET": address})
    assert notifier.enabled
    assert notifier.ready("serving http://127.0.0.1:8080/")
    assert receive(sock) == "READY=1\nSTATUS=serving http://127.0.0.1:8080/"


def test_status_stopping_and_watchdog_messages(notify_socket: tuple[socket.socket, str]) -> None:
    sock, address = notify_socket
    notifier = Notifier(address)
    assert notifier.status("camera\nreopening")  # a newline would end the assignment early
    assert receive(sock) == "STATUS=camera reopening"
    assert notifier.watchdog()
    assert receive(sock) == "WATCHDOG=1"
    assert notifier.stopping()
    assert receive(sock) == "STOPPING=1"


def test_abstract_namespace_socket() -> None:
    name = f"kiosk-notify-test-{os.getpid()}-{time.monotonic_ns()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2.0)
        assert Notifier("@" + name).ready()
        assert receive(sock) == "READY=1"


def test_without_notify_socket_nothing_happens() -> None:
    notifier = Notifier.from_env({})
    assert not notifier.enabled
    assert notifier.ready() is False
    assert notifier.watchdog() is False
    watchdog = Watchdog(notifier, alive=lambda: True, env={"WATCHDOG_USEC": "30000000"})
    assert watchdog.start() is False
    assert not watchdog.active
    watchdog.stop()  # harmless


def test_a_vanished_socket_is_not_an_error(tmp_path: Path) -> None:
    assert Notifier(str(tmp_path / "gone.sock")).ready() is False


def test_watchdog_interval_is_half_of_watchdog_usec() -> None:
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 15.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "42"}, pid=42) == 15.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "42"}, pid=43) is None
    assert watchdog_interval({}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "soon"}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "0"}) is None


def test_watchdog_pings_while_alive_and_stops_when_the_booth_hangs(
    notify_socket: tuple[socket.socket, str],
) -> None:
    sock, address = notify_socket
    alive = threading.Event()
    alive.set()
    watchdog = Watchdog(Notifier(address), alive=alive.is_set, interval_s=0.02)
    assert watchdog.start()
    try:
        pings = drain(sock, 0.3)
        assert pings.count("WATCHDOG=1") >= 3

        alive.clear()  # the booth loop hangs
        time.sleep(0.1)  # a tick already under way may still send one last ping
        settled = drain_now(sock)
        stalled = drain(sock, 0.3)
        assert "WATCHDOG=1" not in stalled
        assert any(m.startswith("STATUS=booth loop stalled") for m in settled + stalled)

        alive.set()  # it recovers before systemd gave up
        resumed = drain(sock, 0.3)
        assert "WATCHDOG=1" in resumed
        assert "STATUS=running" in resumed
    finally:
        watchdog.stop()
    assert not watchdog.active


def test_watchdog_treats_a_failing_alive_check_as_a_hang(notify_socket: tuple[socket.socket, str]) -> None:
    sock, address = notify_socket

    def broken() -> bool:
        raise RuntimeError("runtime gone")

    watchdog = Watchdog(Notifier(address), alive=broken, interval_s=10)
    assert watchdog.tick() is False
    assert receive(sock).startswith("STATUS=booth loop stalled")


def test_watchdog_reads_its_interval_from_the_environment(notify_socket: tuple[socket.socket, str]) -> None:
    sock, address = notify_socket
    env = {"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "40000"}
    with Watchdog(Notifier.from_env(env), alive=lambda: True, env=env) as watchdog:
        assert watchdog.interval_s == pytest.approx(0.02)
        assert receive(sock) == "WATCHDOG=1"


# -- logs ------------------------------------------------------------------------------------------


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """The root logger, with the handlers and level it had put back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def record(level: int, msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("kiosk.hw.supervisor", level, __file__, 1, msg, args, None)


def test_journal_lines_carry_the_syslog_priority() -> None:
    formatter = JournalFormatter()
    assert formatter.format(record(logging.WARNING, "camera fault: %s", "timeout")) == (
        "<4>kiosk.hw.supervisor: camera fault: timeout"
    )
    assert formatter.format(record(logging.INFO, "started")).startswith("<6>")
    assert formatter.format(record(logging.DEBUG, "detail")).startswith("<7>")
    assert [syslog_priority(level) for level in (50, 40, 30, 20, 10)] == [2, 3, 4, 6, 7]


def test_every_line_of_a_traceback_keeps_its_priority() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        rec = logging.LogRecord("kiosk", logging.ERROR, __file__, 1, "step failed", (), sys.exc_info())
    lines = JournalFormatter().format(rec).splitlines()
    assert len(lines) > 2
    assert all(line.startswith("<3>") for line in lines)


def test_only_masked_identity_reaches_the_log() -> None:
    text = "student 11010519491231002X phone 13812345678 code XC1:k1:AbCdEfGhIjKlMnOpQrSt done"
    masked = mask_identity(text)
    assert "11010519491231002X" not in masked and masked.count("002X") == 1
    assert "13812345678" not in masked and "5678" in masked
    assert "AbCdEfGh" not in masked and "XC1:k1:" in masked
    digest = "sha256 3a110105194912310021bb"  # a hex digest is not an ID number
    assert mask_identity(digest) == digest
    assert (
        JournalFormatter()
        .format(record(logging.INFO, "decoded %s", "110105194912310021"))
        .endswith("**************0021")
    )
    rec = record(logging.INFO, "phone %s", "13812345678")
    assert IdentityFilter().filter(rec) and rec.getMessage() == "phone *******5678"


def test_journal_detection_compares_the_stream_itself(tmp_path: Path, root_logger: logging.Logger) -> None:
    with open(tmp_path / "stream", "w") as stream:
        info = os.fstat(stream.fileno())
        assert under_journald(stream, {"JOURNAL_STREAM": f"{info.st_dev}:{info.st_ino}"})
        assert not under_journald(stream, {"JOURNAL_STREAM": f"{info.st_dev}:{info.st_ino + 1}"})
        assert not under_journald(stream, {})
        handler = setup_logging(stream=stream, env={"JOURNAL_STREAM": f"{info.st_dev}:{info.st_ino}"})
        assert root_logger.handlers == [handler]
        logging.getLogger("kiosk.test").warning("lights %s", "off")
        handler.flush()
    assert (tmp_path / "stream").read_text() == "<4>kiosk.test: lights off\n"


def test_terminal_lines_have_time_and_level(root_logger: logging.Logger) -> None:
    stream = io.StringIO()
    setup_logging(verbose=True, stream=stream, env={})
    logging.getLogger("kiosk.test").debug("phone %s", "13812345678")
    assert stream.getvalue().rstrip().endswith("DEBUG kiosk.test: phone *******5678")
    assert root_logger.level == logging.DEBUG
