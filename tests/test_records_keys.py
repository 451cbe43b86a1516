"""The uid hashes on the booth's card: only the current day's can be matched by trying candidate uids."""

from __future__ import annotations

import hashlib
import hmac
import stat
from pathlib import Path

from kiosk.core.capture import SubjectInfo
from kiosk.core.clock import FakeClock
from kiosk.storage.records import BoothRecords


def _subject(uid: str) -> SubjectInfo:
    return SubjectInfo(uid=uid, name="张*", idn="****8746", school="S", level="本科")


def _keys_on_card(data: Path) -> list[bytes]:
    """Every file on the card that could be a 32-byte key, as a thief would try them."""
    keys = []
    for path in data.rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            for candidate in (raw, raw.strip()):
                try:
                    keys.append(bytes.fromhex(candidate.decode()))
                except (UnicodeDecodeError, ValueError):
                    keys.append(candidate)
    return keys


def _recovered(data: Path, uid_keys: list[str], candidates: list[str]) -> set[str]:
    found = set()
    for key in _keys_on_card(data):
        for uid in candidates:
            if hmac.new(key, uid.encode(), hashlib.sha256).hexdigest() in uid_keys:
                found.add(uid)
    return found


def test_yesterdays_uids_cannot_be_recovered_from_a_stolen_card(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "secret.key").write_text("ab" * 32)  # an older booth's lasting secret goes at start
    clock = FakeClock()
    records = BoothRecords.open(data, clock)
    assert not (data / "secret.key").exists()
    records.start_session(_subject("2024000123"))
    records.start_session(_subject("2024000123"))  # the same student again: the same hash, same day
    clock.advance(86400)
    records.start_session(_subject("2024000456"))
    records.close()
    rows = BoothRecords.open(data, clock)._conn.execute("SELECT day, uid_key FROM sessions ORDER BY id").fetchall()
    assert rows[0][1] == rows[1][1] and rows[0][0] != rows[2][0]
    candidates = [f"2024000{n:03d}" for n in range(1000)]
    # a thief trying every candidate uid with every file on the card finds today's student only
    assert _recovered(data, [r[1] for r in rows], candidates) == {"2024000456"}
    key_dir = data / "uid-keys"
    assert stat.S_IMODE(key_dir.stat().st_mode) == 0o700
    assert [stat.S_IMODE(p.stat().st_mode) for p in key_dir.iterdir()] == [0o600]
