"""The uploader through a dead centre and a full disk: it waits as a whole, says why, and resumes by itself."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

from kiosk.core.config import load_config
from kiosk.queue.outbox import Backoff, Outbox
from kiosk.upload.dirtarget import DirTarget
from kiosk.upload.http import HttpTarget
from kiosk.upload.loop import Uploader
from kiosk.upload.state import StateFile
from tests.helpers.tinyfs import fill, tiny_filesystem
from tests.helpers.upload import Keys, free_port, make_capture, make_outbox

HOUR = 3600.0


class FakeTime:
    """Wall and monotonic clock in one, moved only by the uploader's own waits."""

    def __init__(self, start: float = 1_780_000_000.0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t


class Counting:
    def __init__(self, target) -> None:  # type: ignore[no-untyped-def]
        self.target = target
        self.description = target.description
        self.puts = 0

    def put(self, item, body):  # type: ignore[no-untyped-def]
        self.puts += 1
        return self.target.put(item, body)

    def close(self) -> None:
        self.target.close()


def attempts_against_a_dead_centre(tmp_path: Path, keys: Keys, queued: int, hours: float, seed: int) -> int:
    """Connection attempts the uploader makes in ``hours`` of simulated time with ``queued`` captures."""
    clock = FakeTime()
    outbox = make_outbox(
        tmp_path / f"data-{queued}", keys.public, clock=clock, backoff=Backoff(), rng=random.Random(seed)
    )
    for _ in range(queued):
        outbox.submit(make_capture(photo_size=200))
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there: every connection is refused
    target = Counting(HttpTarget(dead, token="t", timeout_s=2))
    stop = threading.Event()
    end = clock.t + hours * HOUR

    def sleep(_stop: threading.Event, seconds: float) -> None:
        clock.t += max(seconds, 0.01)
        if clock.t >= end:
            stop.set()

    uploader = Uploader(outbox, target, monotonic=clock, sleep=sleep, rng=random.Random(seed), poll_s=5)
    uploader.run_forever(stop)
    outbox.close()
    return target.puts


def test_attempts_per_hour_do_not_grow_with_the_queue(tmp_path: Path, keys: Keys) -> None:
    seed = 18
    one = attempts_against_a_dead_centre(tmp_path, keys, 1, 6, seed)
    many = attempts_against_a_dead_centre(tmp_path, keys, 150, 6, seed)
    print(f"seed {seed}: 6 h against a dead centre: 1 queued -> {one} attempts, 150 queued -> {many}")
    # The same few attempts an hour however long the queue (jitter differs: each capture keeps its own
    # due time too, so a queue of one sometimes waits a little longer than the breaker alone would).
    assert many <= one * 1.25 + 3
    assert many <= 60  # about 5 an hour once the wait reaches its 900 s ceiling


def test_breaker_closes_on_the_first_success(tmp_path: Path, keys: Keys) -> None:
    clock = FakeTime()
    outbox = make_outbox(tmp_path / "data", keys.public, clock=clock, backoff=Backoff(min_s=1, max_s=8))
    for _ in range(10):
        outbox.submit(make_capture(photo_size=200))
    centre = tmp_path / "centre"
    target = Counting(DirTarget(centre))  # the folder is missing: "is the USB stick mounted?"
    stop = threading.Event()
    state = StateFile(outbox.dir)
    seen: list[str] = []

    def sleep(_stop: threading.Event, seconds: float) -> None:
        clock.t += max(seconds, 0.01)
        current = state.read()
        if current and (not seen or seen[-1] != current.state):
            seen.append(current.state)
        if target.puts >= 6:
            centre.mkdir(exist_ok=True)  # the stick is back
        if outbox.status().counts["done"] == 10:
            stop.set()

    Uploader(outbox, target, monotonic=clock, sleep=sleep, rng=random.Random(1), state_file=state).run_forever(stop)
    assert outbox.status().counts["done"] == 10
    assert seen[:2] == ["sending", "centre-unreachable"] and seen[-1] == "sending"
    assert target.puts == 6 + 10
    outbox.close()


def test_uploader_survives_a_full_disk_says_so_and_resumes(tmp_path: Path, keys: Keys) -> None:
    with tiny_filesystem(tmp_path / "disk", 3 * 1024) as disk:
        data = disk / "data"
        outbox = make_outbox(data, keys.public, backoff=Backoff(min_s=0.02, max_s=0.1, slow_s=0.1))
        captures = [make_capture(photo_size=20_000) for _ in range(5)]
        for capture in captures:
            outbox.submit(capture)
        outbox.close()
        sender = Outbox(data, None, "booth-01", min_free_mb=0, backoff=Backoff(min_s=0.02, max_s=0.1, slow_s=0.1))
        state = StateFile(sender.dir)
        uploader = Uploader(sender, DirTarget(tmp_path / "centre", create=True), poll_s=0.02, state_file=state)
        uploader._report("sending", "started")  # the state file exists before the disk fills
        filler = fill(disk)
        stop = threading.Event()
        thread = threading.Thread(target=uploader.run_forever, args=(stop,), daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and (state.read() is None or state.read().state != "storage-error"):
                time.sleep(0.05)
            current = state.read()
            assert current is not None and current.state == "storage-error", current
            assert "full" in current.detail
            time.sleep(0.5)
            assert thread.is_alive()
            filler.unlink()
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and sender.status().counts["done"] < 5:
                time.sleep(0.05)
            assert sender.status().counts["done"] == 5
            assert state.read().state == "sending"
        finally:
            stop.set()
            thread.join(10)
        assert not thread.is_alive() and state.read().state == "stopped"
        assert sorted(p.stem for p in (tmp_path / "centre").glob("*.xce")) == sorted(c.capture_id for c in captures)
        sender.close()


def test_uploader_waits_for_a_queue_database_it_cannot_open(tmp_path: Path, keys: Keys) -> None:
    from kiosk.upload.service import open_uploader_patiently

    with tiny_filesystem(tmp_path / "disk", 1024) as disk:
        cfg = tmp_path / "kiosk.toml"
        cfg.write_text(
            f'[kiosk]\ndata_dir = "{disk / "data"}"\n[upload]\ntarget = "dir://{tmp_path / "centre"}"\n'
            "backoff_min_s = 0.05\nbackoff_max_s = 0.1\nmin_free_mb = 0\n"
        )
        (tmp_path / "centre").mkdir()
        (disk / "data" / "outbox").mkdir(parents=True)
        filler = fill(disk)
        said: list[str] = []
        got: list[object] = []
        stop = threading.Event()
        thread = threading.Thread(
            target=lambda: got.append(open_uploader_patiently(load_config(cfg), stop, said.append)), daemon=True
        )
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive() and said and "storage-error" in said[0] and "full" in said[0]
        filler.unlink()
        thread.join(10)
        assert got and got[0] is not None
        got[0].outbox.close()  # type: ignore[attr-defined]


def test_the_uploader_unit_has_no_start_limit() -> None:
    text = (Path(__file__).resolve().parents[1] / "systemd" / "kiosk-uploader.service").read_text()
    lines = {line.split("=", 1)[0]: line.split("=", 1)[1] for line in text.splitlines() if "=" in line}
    assert lines["StartLimitIntervalSec"] == "0"
    assert lines["Restart"] == "always"


def test_staff_health_and_metrics_show_the_uploader_state(tmp_path: Path, keys: Keys) -> None:
    from types import SimpleNamespace

    from kiosk.ops.metrics import BoothCollector
    from kiosk.upload.state import UploaderState

    outbox = make_outbox(tmp_path / "data", keys.public)
    now = time.time()
    StateFile(outbox.dir).write(UploaderState("storage-error", "database or disk is full; retrying in 40 s", now, now))
    from kiosk.staff.health import HealthMonitor

    monitor = HealthMonitor.__new__(HealthMonitor)
    monitor.runtime = SimpleNamespace(parts=SimpleNamespace(outbox=outbox))
    monitor._success = None
    monitor.clock = SimpleNamespace(now=time.monotonic)
    monitor.command_cache_s = 30.0
    queue = monitor._queue()
    assert queue.uploader_state == "storage-error" and "disk is full" in (queue.uploader or "")
    metrics = {m.name: m for m in BoothCollector._queue(SimpleNamespace(queue=queue))}
    states = {s.labels["state"]: s.value for s in metrics["kiosk_uploader_state"].samples}
    assert states["storage-error"] == 1.0 and states["sending"] == 0.0
    outbox.close()
