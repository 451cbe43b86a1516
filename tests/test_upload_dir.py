"""The folder target (dir:///path): atomic copies, duplicates, a stick that is not there."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.core.config import UploadSection, load_config
from kiosk.queue.outbox import Backoff
from kiosk.upload import make_target
from kiosk.upload.dirtarget import DirTarget
from kiosk.upload.loop import Uploader
from tests.helpers.upload import Keys, make_capture, make_outbox, write_keys


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    return write_keys(tmp_path / "keys")


def test_drain_into_a_folder(tmp_path: Path, keys: Keys) -> None:
    stick = tmp_path / "usb stick"
    stick.mkdir()
    outbox = make_outbox(tmp_path / "data", keys.public)
    captures = [make_capture() for _ in range(5)]
    for c in captures:
        outbox.submit(c)
    target = make_target(stick.as_uri().replace("file://", "dir://"), UploadSection())
    assert isinstance(target, DirTarget) and target.folder == stick
    assert Uploader(outbox, target).run_once().counts == {"done": 5}
    for c in captures:
        assert (stick / f"{c.capture_id}.xce").read_bytes() == outbox.path_for(c.capture_id).read_bytes()
    assert not [p for p in stick.iterdir() if p.name.startswith(".")]
    outbox.close()


def test_same_file_already_there_is_done_other_is_quarantined(tmp_path: Path, keys: Keys) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    outbox = make_outbox(tmp_path / "data", keys.public)
    same, other = make_capture(), make_capture()
    outbox.submit(same)
    outbox.submit(other)
    (stick / f"{same.capture_id}.xce").write_bytes(outbox.path_for(same.capture_id).read_bytes())
    (stick / f"{other.capture_id}.xce").write_bytes(b"something else")
    Uploader(outbox, DirTarget(stick)).run_once()
    assert outbox.get(same.capture_id).state == "done"
    assert outbox.get(other.capture_id).state == "quarantined"
    assert (stick / f"{other.capture_id}.xce").read_bytes() == b"something else"
    outbox.close()


def test_missing_stick_waits_and_is_not_created(tmp_path: Path, keys: Keys) -> None:
    outbox = make_outbox(tmp_path / "data", keys.public, backoff=Backoff(min_s=1, max_s=2, slow_s=1000))
    capture = make_capture()
    outbox.submit(capture)
    stick = tmp_path / "media" / "usb"
    Uploader(outbox, make_target(f"dir://{stick}", UploadSection())).run_once()
    entry = outbox.get(capture.capture_id)
    assert entry.state == "pending" and "mounted" in entry.last_error
    assert not stick.exists()
    outbox.close()


def test_default_target_is_the_upload_folder_in_the_data_folder(tmp_path: Path, keys: Keys) -> None:
    from kiosk.upload.service import build_uploader

    config = load_config(None, data_dir=tmp_path / "data")
    outbox = make_outbox(tmp_path / "data", keys.public)
    capture = make_capture()
    outbox.submit(capture)
    uploader = build_uploader(config)
    assert uploader.run_once().counts == {"done": 1}
    assert (tmp_path / "data" / "upload" / f"{capture.capture_id}.xce").exists()
    uploader.outbox.close()
    outbox.close()
