"""One booth per data folder, tested with real processes: a second booth, demo or uploader on the same
folder stops with exit status 2 and names the process in the way; a booth and an uploader share one."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.core.folderlock import FolderBusy, booth_lock, read_holder, uploader_lock

pytestmark = pytest.mark.slow
START_TIMEOUT_S = 90.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(path: Path, upload: Path) -> Path:
    path.write_text(
        f'[web]\nport = {free_port()}\n[staff]\nport = {free_port()}\n[upload]\ntarget = "dir://{upload}"\n'
        "poll_s = 0.5\n",
        encoding="utf-8",
    )
    return path


class Process:
    """A ``kiosk`` command in its own process, its output lines read on a thread."""

    def __init__(self, *args: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "kiosk", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = START_TIMEOUT_S) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.popen.poll() is not None and self.lines.empty():
                    break
                continue
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"{text!r} not seen; output so far: {self.seen}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def run_kiosk(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in started:
        process.stop()


def test_a_second_booth_or_uploader_beside_a_demo_names_it_and_exits_2(
    tmp_path: Path, processes: list[Process]
) -> None:
    data = tmp_path / "data"
    demo = Process("demo", "-c", str(write_config(tmp_path / "demo.toml", tmp_path / "up")), "--data", str(data))
    processes.append(demo)
    demo.wait_for("the booth is running at")
    # the command as this booth needs it: its own data folder, not the default one
    assert f"set a password with `kiosk passwd --data {data}`" in demo.wait_for("the staff console is at")

    # Other ports, same data folder: the lock, not a busy port, is what stops it.
    second = run_kiosk("run", "-c", str(write_config(tmp_path / "run.toml", tmp_path / "up")), "--data", str(data))
    assert second.returncode == 2
    err = second.stderr.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in second.stderr
    assert f"another booth is already running on {data} (pid {demo.popen.pid}: python -m kiosk demo" in err[0]

    uploader = run_kiosk("uploader", "--once", "-c", str(tmp_path / "run.toml"), "--data", str(data))
    assert uploader.returncode == 2
    assert f"another uploader is already running on {data / 'outbox'} (pid {demo.popen.pid}" in uploader.stderr

    demo.stop()
    assert demo.popen.returncode == 0
    assert run_kiosk("uploader", "--once", "-c", str(tmp_path / "run.toml"), "--data", str(data)).returncode == 0


def test_booth_and_uploader_share_a_folder_but_a_demo_cannot_join_the_uploader(
    tmp_path: Path, processes: list[Process]
) -> None:
    data = tmp_path / "data"
    config = str(write_config(tmp_path / "kiosk.toml", tmp_path / "up"))
    assert run_kiosk("codes", "keygen", "--out", str(data / "keyring.toml")).returncode == 0
    assert run_kiosk("keys", "centre-keygen", "--out", str(data)).returncode == 0
    assert run_kiosk("passwd", "--data", str(data), "--password-stdin", stdin="correct horse battery\n").returncode == 0

    uploader = Process("uploader", "-c", config, "--data", str(data))
    processes.append(uploader)
    deadline = time.monotonic() + START_TIMEOUT_S
    while read_holder(data / "outbox" / ".uploader.lock").pid != uploader.popen.pid:
        assert uploader.popen.poll() is None and time.monotonic() < deadline, "the uploader did not start"
        time.sleep(0.1)

    booth = Process("run", "-c", config, "--data", str(data))
    processes.append(booth)
    booth.wait_for("the booth is running at")
    staff_line = booth.wait_for("the staff console is at")
    assert "kiosk passwd" not in staff_line  # a password is set: no advice to set one
    booth.stop()

    demo = run_kiosk("demo", "-c", str(write_config(tmp_path / "demo.toml", tmp_path / "up")), "--data", str(data))
    assert demo.returncode == 2
    assert f"another uploader is already running on {data / 'outbox'} (pid {uploader.popen.pid}: " in demo.stderr
    assert "kiosk uploader" in demo.stderr


def test_the_lock_is_released_when_its_holder_goes(tmp_path: Path) -> None:
    with booth_lock(tmp_path), uploader_lock(tmp_path):  # different names: both at once
        with pytest.raises(FolderBusy) as busy, booth_lock(tmp_path):
            pass
        assert busy.value.holder.pid == os.getpid()
    with booth_lock(tmp_path):
        pass
