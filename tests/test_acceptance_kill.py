"""A booth killed (SIGKILL, a real process) at every step of acceptance still gives the centre one photo per student.

Each round: a booth process serves student U and kills itself at one step boundary of acceptance; a
new booth process starts on the same data folder and U shows their code again; then the queue is
delivered to a folder standing in for the centre, and the envelopes there are opened and counted.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from kiosk.queue.outbox import Outbox
from kiosk.storage.sealing import open_envelope
from kiosk.upload.dirtarget import DirTarget
from kiosk.upload.loop import Uploader
from tests.helpers.booth_child import CRASH_POINTS
from tests.helpers.paths import REPO
from tests.helpers.upload import Keys, python_env

# Where the first booth had already made the photo durable in the queue: the second must recognise U.
QUEUED_BEFORE_CRASH = set(CRASH_POINTS[CRASH_POINTS.index("envelope_renamed") :])


def run_booth(data: Path, keys: Keys, uid: str, crash: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.helpers.booth_child", str(data), str(keys.public_path), uid, crash],
        env=python_env(),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def deliver(data: Path, centre: Path) -> None:
    """The uploader, started after the orphan grace period has passed (files aged instead of waiting)."""
    old = time.time() - 3600
    for path in (data / "outbox").iterdir():
        os.utime(path, (old, old))
    outbox = Outbox(data, None, "booth-k", min_free_mb=0)
    try:
        summary = Uploader(outbox, DirTarget(centre, create=True)).run_once()
        assert summary.all_done, summary.counts
    finally:
        outbox.close()


def photos_per_student(centre: Path, keys: Keys) -> Counter[str]:
    return Counter(open_envelope(p.read_bytes(), keys.private).meta["subject"]["uid"] for p in centre.glob("*.xce"))


@pytest.mark.parametrize("crash", CRASH_POINTS)
def test_booth_killed_during_acceptance_gives_one_photo(tmp_path: Path, keys: Keys, crash: str) -> None:
    data, centre = tmp_path / "data", tmp_path / "centre"
    first = run_booth(data, keys, "2024777", crash)
    assert first.returncode == -9, (first.stdout, first.stderr[-2000:])
    second = run_booth(data, keys, "2024777", "none")
    assert second.returncode == 0, second.stderr[-2000:]
    expected = "already" if crash in QUEUED_BEFORE_CRASH else "accepted"
    assert second.stdout.split()[0] == expected, (crash, second.stdout)
    # Another student after the restart is served as usual.
    other = run_booth(data, keys, "2024888", "none")
    assert other.stdout.startswith("accepted"), other.stdout
    deliver(data, centre)
    assert photos_per_student(centre, keys) == {"2024777": 1, "2024888": 1}, crash
