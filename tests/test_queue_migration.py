"""A queue written by an older booth, where a voided capture was a 'done' row with reason "voided: ...".

Installed booths hold such databases. Opening one must move those rows to the state ``voided``: never
uploaded, never retried, never exported, and counted by the console, the metrics and the CSV exactly as a
capture voided on the new version is.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from kiosk.queue.outbox import Outbox, OutboxError
from kiosk.queue.schema import MIGRATIONS
from kiosk.staff.actions import Actor
from kiosk.storage.db import connect
from kiosk.storage.sealing import load_public_key
from tests.helpers.metrics import one, scrape
from tests.helpers.staff import login, photograph, staff_rig

OLD_VERSION = 1  # the schema before "voided" was a state


@pytest.fixture
def rig(tmp_path):
    yield from staff_rig(tmp_path)


def rewrite_as_old_booth(db_path: Path) -> None:
    """Turn the queue database into what the previous version wrote: schema 1, voided rows as 'done'."""
    db = sqlite3.connect(db_path)
    db.row_factory = sqlite3.Row
    rows = [dict(r) for r in db.execute("SELECT * FROM envelopes")]
    db.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    old = connect(db_path, MIGRATIONS[:OLD_VERSION])
    for row in rows:
        if row["state"] == "voided":
            row["state"], row["reason"] = "done", f"voided: {row['reason']}"
        marks = ", ".join("?" for _ in row)
        old.execute(f"INSERT INTO envelopes ({', '.join(row)}) VALUES ({marks})", tuple(row.values()))
    with pytest.raises(sqlite3.IntegrityError):  # really the old schema: it has no 'voided' state
        old.execute("UPDATE envelopes SET state = 'voided'")
    assert old.execute("PRAGMA user_version").fetchone()[0] == OLD_VERSION
    old.close()


def reopen(rig) -> Outbox:
    """Restart the booth's queue on the same data folder (as after a software update)."""
    rig.outbox.close()
    outbox = Outbox(
        rig.data,
        load_public_key(rig.tmp_path / "keys" / "centre.pub"),
        "t",
        clock=lambda: rig.clock.wall().timestamp(),
    )
    rig.booth.sink = outbox
    rig.runtime.parts = replace(rig.runtime.parts, outbox=outbox)
    return outbox


def what_staff_see(rig) -> dict:
    m = scrape(rig)
    csv = rig.client.get("/staff/statistics.csv").get_data(as_text=True)
    uploads = rig.client.get("/staff/uploads").get_data(as_text=True)
    return {
        "queue": {
            state: one(m, "kiosk_queue_entries", state=state)
            for state in ("pending", "uploading", "done", "quarantined", "voided")
        },
        "accepted": one(m, "kiosk_accepted_today"),
        "voided": one(m, "kiosk_voided_today"),
        "last_success": one(m, "kiosk_queue_last_success_timestamp_seconds"),
        "today": rig.client.get("/staff/api/live").get_json()["today"],
        "csv": csv,
        "uploads_page": dict(re.findall(r'<span class="en">(\w+)</span></dt><dd[^>]*>(\d+)</dd>', uploads)),
    }


def test_an_old_booths_voided_rows_become_voided_and_count_the_same(rig):
    for uid in ("1", "2", "3", "4"):
        photograph(rig.runtime, uid)
    sent, voided, quarantined_then_voided, waiting = (c["id"] for c in rig.records.accepted_captures())
    outbox = rig.outbox
    assert outbox.claim().capture_id == sent
    outbox.mark_done(sent)
    rig.clock.advance(60)  # voided later than the last upload: must not count as one
    outbox.quarantine(quarantined_then_voided, "centre refused the envelope (422)")
    actions = rig.console.actions
    assert actions.void(Actor("staff"), voided, "wrong student in the photo").queue == "withdrawn"
    assert actions.void(Actor("staff"), quarantined_then_voided, "eyes closed").queue == "withdrawn"
    login(rig.client)
    before = what_staff_see(rig)
    assert before["queue"] == {"pending": 1, "uploading": 0, "done": 1, "quarantined": 0, "voided": 2}
    assert (before["accepted"], before["voided"]) == (2, 2)
    assert before["uploads_page"] == {"Waiting": "1", "Sending": "0", "Done": "1", "Quarantined": "0", "Voided": "2"}
    assert before["last_success"] == outbox.get(sent).done_at

    rewrite_as_old_booth(outbox.db_path)
    outbox = reopen(rig)

    with sqlite3.connect(outbox.db_path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    db.close()
    assert (outbox.get(voided).state, outbox.get(voided).reason) == ("voided", "wrong student in the photo")
    assert (outbox.get(quarantined_then_voided).state, outbox.get(quarantined_then_voided).reason) == (
        "voided",
        "eyes closed",
    )
    assert (outbox.get(sent).state, outbox.get(sent).reason) == ("done", None)  # a real upload stays done
    assert outbox.get(waiting).state == "pending"
    # not uploaded, not retryable, not exported
    assert [e.capture_id for e in outbox.entries("done")] == [sent]
    assert outbox.claim(cutoff=outbox.now() + 10**6).capture_id == waiting
    assert outbox.claim(cutoff=outbox.now() + 10**6) is None
    for cid in (voided, quarantined_then_voided):
        with pytest.raises(OutboxError, match="voided by staff"):
            outbox.retry(cid)
    assert outbox.retry_all_quarantined() == []
    usb = rig.tmp_path / "usb"
    usb.mkdir()
    assert outbox.export(usb, include_quarantined=True) == [waiting]
    outbox.mark_retry(waiting, "network down")  # back to how it was
    status = outbox.status()
    assert status.counts == {"pending": 1, "uploading": 0, "done": 1, "quarantined": 0} and status.voided == 2

    after = what_staff_see(rig)
    assert (after["queue"], after["uploads_page"]) == (before["queue"], before["uploads_page"])
    assert after["last_success"] == before["last_success"]
    assert (after["accepted"], after["voided"], after["today"], after["csv"]) == (
        before["accepted"],
        before["voided"],
        before["today"],
        before["csv"],
    )


def test_a_migrated_voided_capture_goes_with_the_usual_retention(rig):
    photograph(rig.runtime, "1")
    (capture,) = rig.records.accepted_captures()
    outbox = rig.outbox
    assert outbox.void(capture["id"], "blurred") == "withdrawn"
    path = outbox.path_for(capture["id"])
    rewrite_as_old_booth(outbox.db_path)
    outbox = reopen(rig)
    assert outbox.purge_expired() == 0 and path.exists()  # kept while within retention_days
    rig.clock.advance(31 * 86400)
    assert outbox.purge_expired() == 1 and not path.exists()
    entry = outbox.get(capture["id"])
    assert entry.state == "voided" and entry.file_deleted_at is not None  # the row stays as the record


class RacedMigrations(list):
    """The queue's migrations, and another process (the uploader) applying them all in the moment after
    this one (the booth) has read the schema version and before it takes the write lock."""

    def __init__(self, path: Path) -> None:
        super().__init__(MIGRATIONS)
        self.path = path
        self.raced = False

    def __len__(self) -> int:
        if not self.raced:
            self.raced = True
            connect(self.path, MIGRATIONS).close()
        return super().__len__()


def test_booth_and_uploader_migrating_at_the_same_moment(tmp_path: Path):
    path = tmp_path / "outbox.sqlite"
    migrations = RacedMigrations(path)
    conn = connect(path, migrations)  # would fail "table envelopes already exists" if it migrated again
    assert migrations.raced
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert tables == ["envelopes"]
    conn.close()


def test_a_config_that_still_sets_include_original_loads(tmp_path: Path, caplog):
    """Installed booths may have ``include_original = true``: it loads, is said to be ignored, and the
    envelope holds only the photo, as it always did (the booth never had an original to give)."""
    from kiosk.core.config import load_config
    from kiosk.storage.sealing import generate_centre_keypair, load_private_key, open_envelope
    from tests.helpers.upload import make_capture

    private_pem, public_pem = generate_centre_keypair()
    (tmp_path / "centre.pub").write_bytes(public_pem)
    (tmp_path / "centre.key").write_bytes(private_pem)
    (tmp_path / "kiosk.toml").write_text("[upload]\ninclude_original = true\nmin_free_mb = 0\n")
    with caplog.at_level("WARNING"):
        config = load_config(tmp_path / "kiosk.toml", data_dir=tmp_path)
    assert [r.getMessage() for r in caplog.records if "include_original" in r.getMessage()] == [
        "upload.include_original is ignored: the booth seals only the 480x640 photo"
    ]
    with Outbox.from_config(config) as outbox:
        capture = make_capture(original=b"\xff\xd8original\xff\xd9")
        outbox.submit(capture)
        opened = open_envelope(
            outbox.read_envelope(outbox.get(capture.capture_id)), load_private_key(tmp_path / "centre.key")
        )
    assert opened.photo_jpeg == capture.photo_jpeg and opened.original_jpeg is None
