"""``kiosk queue add`` queues a student once, however often the technician runs it or it is killed."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.cli.queue import queue_add
from kiosk.core.config import load_config
from kiosk.queue.outbox import Outbox
from kiosk.storage.sealing import open_envelope
from tests.helpers.upload import Keys, fake_jpeg, python_env

PASS = {"pass": True, "checks": {}, "ms": 1}
STUDENT = {"uid": "U-31", "name": "赵六", "idn": "110101199001019999", "school": "s", "level": "本科"}


def _config(tmp_path: Path, keys: Keys) -> Path:
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(
        f'[kiosk]\nid = "booth-07"\ndata_dir = "{tmp_path / "data"}"\n'
        f'[upload]\ncentre_public_key = "{keys.public_path}"\nmin_free_mb = 0\n'
    )
    return cfg


def _queued(tmp_path: Path, keys: Keys) -> list[str]:
    with Outbox(tmp_path / "data", None, "booth-07") as outbox:
        uids = []
        for entry in outbox.entries():
            env = outbox.path_for(entry.capture_id).read_bytes()
            uids.append(open_envelope(env, keys.private).meta["subject"]["uid"])
        return uids


def test_running_the_same_add_twice_queues_the_student_once(tmp_path: Path, keys: Keys) -> None:
    config = load_config(_config(tmp_path, keys))
    photo = tmp_path / "p.jpg"
    photo.write_bytes(fake_jpeg(500, seed=1))
    checker = lambda jpeg, profile: (PASS, jpeg)  # noqa: E731
    first = queue_add(config, photo, checker=checker, **STUDENT)
    again = queue_add(config, photo, checker=checker, **STUDENT)
    assert first == again
    assert _queued(tmp_path, keys) == ["U-31"]
    # Another student, or another photo of the same one, is a new capture.
    other = queue_add(config, photo, checker=checker, **{**STUDENT, "uid": "U-32"})
    photo2 = tmp_path / "p2.jpg"
    photo2.write_bytes(fake_jpeg(500, seed=2))
    newer = queue_add(config, photo2, checker=checker, **STUDENT)
    assert len({first, other, newer}) == 3


def test_capture_id_is_the_idempotency_key_and_is_announced_first(tmp_path: Path, keys: Keys) -> None:
    config = load_config(_config(tmp_path, keys))
    photo = tmp_path / "p.jpg"
    photo.write_bytes(fake_jpeg(500, seed=1))
    said: list[str] = []

    def checker(jpeg: bytes, profile: str) -> tuple[dict, bytes]:
        assert said, "the id must be announced before the work starts"
        return PASS, jpeg

    key = "0b6f4f0e-7a53-4a56-9d2c-6d1f0c1e2a3b"
    got = queue_add(config, photo, checker=checker, capture_id=key, announce=said.append, **STUDENT)
    assert got == key and said == [key]
    photo.write_bytes(fake_jpeg(500, seed=9))  # the retry found a different file: still one capture
    assert queue_add(config, photo, checker=checker, capture_id=key, **STUDENT) == key
    assert _queued(tmp_path, keys) == ["U-31"]


def test_a_run_killed_between_envelope_and_row_is_queued_by_the_rerun(
    tmp_path: Path, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The envelope is written first, then its row: a kill between the two leaves a file the queue does
    not list yet. The technician's rerun must queue it, not report it queued and stop."""
    from kiosk.queue.store import QueueStore

    config = load_config(_config(tmp_path, keys))
    photo = tmp_path / "p.jpg"
    photo.write_bytes(fake_jpeg(500, seed=1))
    checker = lambda jpeg, profile: (PASS, jpeg)  # noqa: E731

    def killed(self: QueueStore, row: object) -> None:
        raise KeyboardInterrupt  # not an sqlite3.Error: nothing cleans up, as after SIGKILL

    with monkeypatch.context() as m:
        m.setattr(QueueStore, "insert", killed)
        with pytest.raises(KeyboardInterrupt):
            queue_add(config, photo, checker=checker, **STUDENT)
    assert _queued(tmp_path, keys) == []
    envelope = next((tmp_path / "data").rglob("*.xce")).read_bytes()
    cid = queue_add(config, photo, checker=checker, **STUDENT)
    assert _queued(tmp_path, keys) == ["U-31"]
    with Outbox(tmp_path / "data", None, "booth-07") as outbox:
        assert outbox.path_for(cid).read_bytes() == envelope  # kept, not sealed again


def _args(student: dict[str, str]) -> list[str]:
    """The command-line options (name and ID number come on stdin, never here)."""
    return [f"--{k}={v}" for k, v in student.items() if k not in ("name", "idn")]


def _stdin(student: dict[str, str]) -> str:
    return f"{student['name']}\n{student['idn']}\n"


def test_a_bad_capture_id_is_one_line(
    tmp_path: Path, keys: Keys, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    photo = tmp_path / "p.jpg"
    photo.write_bytes(fake_jpeg(500))
    monkeypatch.setattr("sys.stdin", io.StringIO(_stdin(STUDENT)))
    args = _args(STUDENT)
    assert main(["queue", "add", str(photo), "-c", str(_config(tmp_path, keys)), *args, "--capture-id", "x1"]) == 2
    err = capsys.readouterr().err
    assert "--capture-id" in err and err.count("\n") == 1


@pytest.mark.slow
def test_add_killed_at_random_moments_then_rerun_queues_once(tmp_path: Path, keys: Keys, faces_dir: Path) -> None:
    """The real command in its own process, SIGKILLed while it works; the technician then runs it again."""
    import cv2

    from kiosk.vision.checker import ComplianceChecker
    from tests.helpers.scenes import compliant_still

    seed = int(os.environ.get("KIOSK_KILL_SEED", time.time_ns() % 10_000))
    print(f"seed {seed}")
    rng = random.Random(seed)
    cfg = _config(tmp_path, keys)
    still = tmp_path / "backup-camera.jpg"
    cv2.imwrite(str(still), compliant_still(ComplianceChecker("chsi").analyser, faces_dir))
    command = [sys.executable, "-m", "kiosk", "queue", "add", str(still), "-c", str(cfg)]
    started = time.monotonic()
    full = subprocess.run(
        [*command, *_args(STUDENT)],
        input=_stdin(STUDENT),
        env=python_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert full.returncode == 0, full.stderr
    duration = time.monotonic() - started
    assert _queued(tmp_path, keys) == ["U-31"]
    for round_ in range(3):
        uid = f"U-4{round_}"
        student = {**STUDENT, "uid": uid}
        argv = [*command, *_args(student)]
        proc = subprocess.Popen(
            argv, env=python_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        assert proc.stdin is not None
        proc.stdin.write(_stdin(student))
        proc.stdin.close()
        time.sleep(rng.uniform(0.3, duration * 1.1))
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        again = subprocess.run(
            argv, input=_stdin(student), env=python_env(), capture_output=True, text=True, timeout=120
        )
        assert again.returncode == 0, (seed, again.stderr)
        assert again.stdout.splitlines()[0].startswith("capture id ")
        queued = _queued(tmp_path, keys)
        assert queued.count(uid) == 1, (seed, round_, queued)
