"""At the centre: students photographed more than once, across booths (``kiosk duplicates``).

A capture code is not bound to one booth, and a stolen booth's keyring can mint codes for any uid, so
the centre, which alone can open envelopes, looks for one uid arriving in several captures, and says
from which booths and when. Which photo to keep is the centre's decision; nothing is deleted here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kiosk.storage.sealing import SUFFIX, EnvelopeError, open_envelope, read_envelope_file

CONFLICTS_DIR = "conflicts"  # kiosk.centre.receiver keeps a second booth's envelope under a taken id here


@dataclass(frozen=True)
class StoredCapture:
    capture_id: str
    kiosk_id: str
    uid: str
    taken_at: str


@dataclass(frozen=True)
class Scan:
    """Captures grouped by uid (only uids with more than one), and envelopes that would not open."""

    duplicates: dict[str, list[StoredCapture]]
    unreadable: list[str]
    total: int
    id_conflicts: list[str] = field(default_factory=list)  # "capture_id: kiosk_a, kiosk_b"


def stored_captures(store: Path, key: X25519PrivateKey, unreadable: list[str]) -> Iterator[StoredCapture]:
    paths = sorted(Path(store).glob(f"*{SUFFIX}")) + sorted(Path(store).glob(f"{CONFLICTS_DIR}/*/*{SUFFIX}"))
    for path in paths:
        try:
            opened = open_envelope(read_envelope_file(path), key)
        except (EnvelopeError, OSError) as exc:
            unreadable.append(f"{path.name}: {exc}")
            continue
        subject = opened.meta.get("subject") or {}
        header = opened.header
        yield StoredCapture(
            header.capture_id, header.kiosk_id, str(subject.get("uid", "")), str(opened.meta.get("taken_at", ""))
        )


def find_duplicates(store: Path, key: X25519PrivateKey) -> Scan:
    by_uid: dict[str, list[StoredCapture]] = defaultdict(list)
    by_id: dict[str, set[str]] = defaultdict(set)
    unreadable: list[str] = []
    total = 0
    for capture in stored_captures(store, key, unreadable):
        total += 1
        by_uid[capture.uid].append(capture)
        by_id[capture.capture_id].add(capture.kiosk_id)
    dups = {uid: sorted(c, key=lambda c: c.taken_at) for uid, c in sorted(by_uid.items()) if len(c) > 1}
    conflicts = [f"{cid}: {', '.join(sorted(k))}" for cid, k in sorted(by_id.items()) if len(k) > 1]
    return Scan(dups, unreadable, total, conflicts)
