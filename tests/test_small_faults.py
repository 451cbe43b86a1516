"""Small faults: a killed receiver's temp files, `kiosk check` on a folder, a restarted demo, a stop mid-stream."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.centre.receiver import CaptureStore
from kiosk.cli import main
from kiosk.demo.director import StudentCounter
from tests.helpers.upload import Keys, free_port, python_env


def test_receiver_removes_temp_files_of_a_dead_writer_at_start(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    # A real process that is gone: its pid names the temp file it left (as a killed receiver does).
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = store / f".0b6f4f0e-7a53-4a56-9d2c-6d1f0c1e2a3b.xce.{dead.pid}.tmp"
    stale.write_bytes(b"half an envelope")
    live = store / f".1b6f4f0e-7a53-4a56-9d2c-6d1f0c1e2a3b.xce.{os.getppid()}.tmp"  # a writer still running
    live.write_bytes(b"being written")
    kept = store / "1b6f4f0e-7a53-4a56-9d2c-6d1f0c1e2a3b.xce"
    kept.write_bytes(b"a stored envelope")
    assert CaptureStore(store).removed_temp_files == 1
    assert not stale.exists() and live.exists() and kept.exists()


@pytest.mark.slow
def test_receiver_killed_mid_write_leaves_nothing_after_its_restart(tmp_path: Path, keys: Keys) -> None:
    """The real receiver, SIGKILLed: whatever temp file it left is gone once it has started again."""
    store = tmp_path / "store"
    store.mkdir()
    command = [sys.executable, "-m", "kiosk", "receiver", "--key", str(keys.private_path), "--store", str(store)]
    command += ["--port", str(free_port()), "--insecure-open"]
    proc = subprocess.Popen(command, env=python_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    proc.stdout.readline()  # listening
    leftover = store / f".2b6f4f0e-7a53-4a56-9d2c-6d1f0c1e2a3b.xce.{proc.pid}.tmp"
    leftover.write_bytes(b"as if the kill came mid-write")
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    again = subprocess.Popen(command, env=python_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert again.stdout is not None
        again.stdout.readline()
        assert not leftover.exists()
    finally:
        again.send_signal(signal.SIGTERM)
        again.wait(10)


def test_check_a_folder_checks_the_photos_in_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("b.png", "a.jpg"):
        cv2.imwrite(str(folder / name), np.full((480, 640, 3), 200, np.uint8))
    (folder / "notes.txt").write_text("not a photo")
    assert main(["check", "--json", str(folder)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [Path(line["file"]).name for line in lines] == ["a.jpg", "b.png"]


def test_check_an_empty_folder_says_it_is_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["check", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert "is a folder with no photos" in err and "no such file" not in err and err.count("\n") == 1


def test_demo_students_carry_on_after_a_restart(tmp_path: Path) -> None:
    first = StudentCounter(tmp_path / "demo-students")
    assert [next(first), next(first)] == [1, 2]
    restarted = StudentCounter(tmp_path / "demo-students")  # the demo killed and started again
    assert next(restarted) == 3


def test_a_restarted_demo_director_shows_a_new_student(tmp_path: Path) -> None:
    from kiosk.codes import load_code_reader
    from kiosk.demo.director import DemoDirector, ensure_demo_keyring

    keyring_path = tmp_path / "keyring.toml"
    keyring = ensure_demo_keyring(keyring_path)
    reader = load_code_reader(["xc1"], keyring_path, 300)

    def uid_of_next_code() -> str:
        director = DemoDirector(None, keyring, None, counter=StudentCounter(tmp_path / "demo-students"))
        return reader.decode(director.next_code(), time.time()).uid

    assert uid_of_next_code() != uid_of_next_code()


@pytest.mark.slow
def test_stopping_the_booth_while_the_page_is_open_logs_no_traceback(tmp_path: Path) -> None:
    """systemd stops the booth (SIGTERM) while the kiosk browser holds the event and preview streams open:
    it exits cleanly, with nothing in the journal that looks like a crash."""
    port = free_port()
    config = tmp_path / "kiosk.toml"
    config.write_text(f"[web]\nport = {port}\n[staff]\nenabled = false\n", encoding="utf-8")
    command = [sys.executable, "-m", "kiosk", "demo", "-c", str(config), "--data", str(tmp_path / "data")]
    proc = subprocess.Popen(command, env=python_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    viewers: list[subprocess.Popen[bytes]] = []
    try:
        assert proc.stdout is not None
        assert "running at" in proc.stdout.readline()
        for path in ("/events", "/stream.mjpg"):
            url = f"http://127.0.0.1:{port}{path}"
            read_forever = f"import urllib.request as u; r = u.urlopen({url!r})\nwhile r.read(512): pass"
            viewers.append(subprocess.Popen([sys.executable, "-c", read_forever], stderr=subprocess.DEVNULL))
        time.sleep(2)  # both streams are being served
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        for viewer in viewers:
            viewer.kill()
            viewer.wait()
    assert proc.returncode == 0
    assert "Traceback" not in err and "Bad file descriptor" not in err, err
