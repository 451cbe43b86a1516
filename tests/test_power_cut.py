"""Power loss at every step of accepting a photo: nothing accepted is lost, nothing is delivered twice.

A SIGKILL keeps whatever the kernel has not yet written; a power cut does not. Here one student is
served by the real booth, records and sealed queue while ``tests/helpers/durability.py`` records every
operation of the project's file-writing layer (``kiosk.core.files``) and every SQLite commit boundary of
acceptance. For each recorded event, the data folder a power cut right after it could leave (a
pessimistic and an optimistic image: folder changes not yet fsynced lost, or kept) is restarted: the
booth starts, the student comes back unless the booth had already told them their photo was accepted,
and the queue is delivered. The centre must then hold exactly one photo of the student.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from kiosk.booth import Booth, Touch
from kiosk.core.clock import FakeClock
from kiosk.queue.outbox import Outbox
from kiosk.storage.records import BoothRecords
from kiosk.storage.sealing import open_envelope
from kiosk.upload.dirtarget import DirTarget
from kiosk.upload.loop import Uploader
from tests.helpers.booth_rig import booth_on_fakes, confirm_and_start, let_time_pass, show_code
from tests.helpers.durability import DurableDisk
from tests.helpers.upload import Keys

UID = "2024555"
DATABASES = ("booth.sqlite", "outbox.sqlite")


def _booth(data: Path, keys: Keys) -> tuple[Booth, FakeClock, BoothRecords, Outbox]:
    clock = FakeClock()
    records = BoothRecords.open(data, clock)
    outbox = Outbox(data, keys.public, "booth-p", min_free_mb=0)
    booth = booth_on_fakes(records, outbox, clock, kiosk_id="booth-p")
    return booth, clock, records, outbox


def _serve(booth: Booth, clock: FakeClock) -> str:
    """The student shows their code and, if the booth takes them, accepts the photo. Returns what happened."""
    show_code(booth, UID)
    if booth.state.name != "confirm":
        return "already"
    confirm_and_start(booth)
    let_time_pass(booth, clock)
    booth.post(Touch("accept"))
    booth.step()
    assert booth.state.name == "done"
    return "accepted"


def _record_one_acceptance(tmp_path: Path, keys: Keys, monkeypatch: pytest.MonkeyPatch) -> DurableDisk:
    data = tmp_path / "data"
    booth, clock, records, outbox = _booth(data, keys)
    disk = DurableDisk(data, DATABASES, tmp_path / "snapshots")
    disk.start(monkeypatch)
    real_submit, real_mark = outbox.submit, records.mark_accepted

    def submit(capture):  # type: ignore[no-untyped-def]
        real_submit(capture)
        disk.mark("queue row committed")

    def mark_accepted(capture_id: str) -> None:
        real_mark(capture_id)
        disk.mark("booth records accepted")

    monkeypatch.setattr(outbox, "submit", submit)
    monkeypatch.setattr(records, "mark_accepted", mark_accepted)
    assert _serve(booth, clock) == "accepted"
    disk.mark("student told: accepted")
    monkeypatch.undo()
    records.close()
    outbox.close()
    return disk


def _photos_at_centre_after_restart(image: Path, centre: Path, keys: Keys, student_returns: bool) -> Counter[str]:
    booth, clock, records, outbox = _booth(image, keys)
    if student_returns:
        _serve(booth, clock)
    records.close()
    outbox.close()
    sender = Outbox(image, None, "booth-p", min_free_mb=0, orphan_grace_s=0)
    try:
        Uploader(sender, DirTarget(centre, create=True)).run_once()  # a lost envelope is quarantined
    finally:
        sender.close()
    return Counter(open_envelope(p.read_bytes(), keys.private).meta["subject"]["uid"] for p in centre.glob("*.xce"))


def violations(disk: DurableDisk, work: Path, keys: Keys) -> list[str]:
    found = []
    told = next(i for i, e in enumerate(disk.events) if e.label == "student told: accepted")
    for index, event in enumerate(disk.events):
        for optimistic in (False, True):
            tag = f"{index}-{'opt' if optimistic else 'pess'}"
            image = disk.image(index, optimistic, work / f"image-{tag}")
            photos = _photos_at_centre_after_restart(image, work / f"centre-{tag}", keys, student_returns=index < told)
            if photos != {UID: 1}:
                what = event.label or f"{event.kind} {Path(event.dest or event.path).name}"
                found.append(f"power cut after event {index} ({what}, {tag}): centre holds {dict(photos)}")
    return found


def test_power_cut_at_any_point_of_acceptance_loses_nothing_and_doubles_nothing(
    tmp_path: Path, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    disk = _record_one_acceptance(tmp_path, keys, monkeypatch)
    kinds = [e.kind for e in disk.events]
    # The envelope's bytes are fsynced, then renamed into place, then the folder is fsynced, then the row.
    assert kinds.count("fsync") >= 1 and "rename" in kinds and "fsync_dir" in kinds
    assert kinds.index("fsync_dir") < [e.label for e in disk.events].index("queue row committed")
    assert violations(disk, tmp_path / "crash", keys) == []


def test_the_check_finds_a_writer_that_does_not_fsync_the_folder(
    tmp_path: Path, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same check against a broken file layer: a rename never made durable loses an accepted photo."""
    import kiosk.core.files

    monkeypatch.setattr(kiosk.core.files, "fsync_dir", lambda path: None)
    disk = _record_one_acceptance(tmp_path, keys, monkeypatch)
    found = violations(disk, tmp_path / "crash", keys)
    assert any("pess" in v and "{}" in v for v in found), found
