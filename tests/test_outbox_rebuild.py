"""A damaged outbox.sqlite is moved aside at start and the queue rebuilt from the envelopes on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.queue.outbox import Outbox
from kiosk.upload.dirtarget import DirTarget
from kiosk.upload.loop import Uploader
from tests.helpers.upload import Keys, make_capture, make_outbox


def _queue_with_history(data: Path, keys: Keys, centre: Path) -> list[str]:
    """Five captures: two already delivered to ``centre``, three waiting."""
    ids = []
    with make_outbox(data, keys.public) as outbox:
        for _ in range(5):
            capture = make_capture(photo_size=3000)
            outbox.submit(capture)
            ids.append(capture.capture_id)
        uploader = Uploader(outbox, DirTarget(centre, create=True))
        for _ in range(2):
            entry = outbox.claim()
            assert entry is not None
            uploader.process(entry)
    return ids


def _damage_header(db: Path) -> None:
    with open(db, "r+b") as fh:
        fh.write(b"this is not an sqlite file at all")


def _damage_pages(db: Path) -> None:
    data = bytearray(db.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    assert len(data) >= 2 * page, "needs a second page to damage"
    data[page : 2 * page] = b"\x0d" * page  # a b-tree page full of nonsense
    db.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_damage_header, _damage_pages], ids=["not-a-database", "malformed"])
def test_damaged_queue_is_moved_aside_and_rebuilt_from_the_envelopes(tmp_path: Path, keys: Keys, damage) -> None:
    data, centre = tmp_path / "data", tmp_path / "centre"
    ids = _queue_with_history(data, keys, centre)
    assert not (data / "outbox.sqlite-wal").exists() or (data / "outbox.sqlite-wal").stat().st_size == 0
    damage(data / "outbox.sqlite")

    with Outbox(data, None, "booth-01", min_free_mb=0) as outbox:
        aside = sorted(p.name for p in data.glob("outbox.sqlite.corrupt-*") if not p.name.endswith(("-wal", "-shm")))
        assert len(aside) == 1 and aside[0].startswith("outbox.sqlite.corrupt-20")
        assert sorted(e.capture_id for e in outbox.entries("pending")) == sorted(ids)
        status = outbox.status()
        assert status.rebuilt is not None and status.rebuilt["requeued"] == 5
        assert status.rebuilt["moved_to"] == aside[0]
        summary = Uploader(outbox, DirTarget(centre)).run_once()
        assert summary.all_done
    # Every capture at the centre once; the two delivered before were answered "already in the folder".
    assert sorted(p.stem for p in centre.glob("*.xce")) == sorted(ids)

    # A second start finds a healthy queue and rebuilds nothing more.
    with Outbox(data, None, "booth-01", min_free_mb=0) as outbox:
        assert outbox.status().counts["done"] == 5
    assert len([p for p in data.glob("outbox.sqlite.corrupt-*") if not p.name.endswith(("-wal", "-shm"))]) == 1


def test_queue_status_tells_the_technician(tmp_path: Path, keys: Keys, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    _queue_with_history(data, keys, tmp_path / "centre")
    _damage_header(data / "outbox.sqlite")
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'[kiosk]\ndata_dir = "{data}"\n[upload]\nmin_free_mb = 0\n')
    assert main(["queue", "status", "-c", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "queue rebuilt:" in out and "5 envelopes queued again" in out and "outbox.sqlite.corrupt-" in out
    assert main(["queue", "status", "-c", str(cfg), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rebuilt"]["requeued"] == 5


def test_staff_see_the_rebuild(tmp_path: Path, keys: Keys) -> None:
    from kiosk.staff.health import (
        BoothHealth,
        DiskHealth,
        HealthMonitor,
        ModelHealth,
        QueueHealth,
        SystemHealth,
    )

    data = tmp_path / "data"
    _queue_with_history(data, keys, tmp_path / "centre")
    _damage_header(data / "outbox.sqlite")
    with Outbox(data, None, "booth-01", min_free_mb=0) as outbox:
        rebuilt = outbox.status().rebuilt
    booth = BoothHealth("idle", False, True, [], 0.1)
    model = ModelHealth(True, "chsi", None, None)
    disk = DiskHealth(str(data), 1000.0, 2000.0, 500, True)
    system = SystemHealth(None, None, None, None, None, None, None, None, None)
    warnings = HealthMonitor._warnings(booth, None, model, disk, system, QueueHealth(available=True, rebuilt=rebuilt))
    (warning,) = [w for w in warnings if w.key == "queue_rebuilt"]
    assert "5 photos queued again" in warning.en and "outbox.sqlite.corrupt-" in warning.en
