"""``kiosk uploader`` killed with SIGKILL at random points: the centre still ends with every capture once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.upload import Keys, make_capture, make_outbox, python_env, running_receiver, write_keys


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    return write_keys(tmp_path / "keys")


ROUNDS = 8


@pytest.mark.slow
def test_sigkill_rounds_store_every_capture_exactly_once(tmp_path: Path, keys: Keys) -> None:
    seed = int(os.environ.get("KIOSK_KILL_SEED", time.time_ns() % 10_000))
    rng = random.Random(seed)
    data = tmp_path / "data"
    outbox = make_outbox(data, keys.public)
    submitted = []
    for _ in range(30):
        capture = make_capture(photo_size=20_000)
        outbox.submit(capture)
        submitted.append(capture.capture_id)

    with running_receiver(keys.private, tmp_path / "centre", delay_s=0.02) as (base, receiver):
        cfg = tmp_path / "kiosk.toml"
        cfg.write_text(
            f'[kiosk]\ndata_dir = "{data}"\n'
            f'[upload]\ntarget = "{base}"\ntoken = "tok"\ncentre_public_key = "{keys.public_path}"\n'
            "backoff_min_s = 0.05\nbackoff_max_s = 0.2\npoll_s = 0.05\ntimeout_s = 5\nmin_free_mb = 0\n"
        )
        command = [sys.executable, "-m", "kiosk", "uploader", "-c", str(cfg)]
        started = time.monotonic()
        for _ in range(ROUNDS):
            proc = subprocess.Popen(command, env=python_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.1, 0.6))
            for _ in range(3):  # the booth goes on accepting students meanwhile
                capture = make_capture(photo_size=20_000)
                outbox.submit(capture)
                submitted.append(capture.capture_id)
            time.sleep(rng.uniform(0.0, 0.6))
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            assert proc.returncode == -signal.SIGKILL
        for _ in range(3):
            done = subprocess.run([*command, "--once"], env=python_env(), capture_output=True, text=True, timeout=60)
            if outbox.status().counts["pending"] == 0:
                break
        assert done.returncode == 0, done.stderr
        assert time.monotonic() - started < 60

        status = outbox.status()
        assert status.counts == {"pending": 0, "uploading": 0, "done": len(submitted), "quarantined": 0}, seed
        stored = sorted(p.stem for p in (tmp_path / "centre").glob("*.xce"))
        assert stored == sorted(submitted), seed
        assert dict(receiver.store.writes) == dict.fromkeys(submitted, 1), seed
        for cid in submitted:
            assert (tmp_path / "centre" / f"{cid}.xce").read_bytes() == outbox.path_for(cid).read_bytes()
        assert not list((tmp_path / "centre").glob(".*.tmp"))
        print(f"seed {seed}: answers {dict(receiver.answers)}")
    outbox.close()
