"""The queue's states: only the moves in the table happen, and only pending captures are ever sent.

Real SQLite, real sealed envelopes and a real folder target; rows are put into a state by writing the
column directly, the way a row found on a booth's card would be in it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kiosk.queue.outbox import Outbox, OutboxError
from kiosk.queue.states import INITIAL, TRANSITIONS, IllegalTransition, QueueState, check_transition
from kiosk.queue.store import NewRow
from kiosk.storage.sealing import generate_centre_keypair, load_public_key
from kiosk.upload.dirtarget import DirTarget
from kiosk.upload.loop import Uploader
from tests.helpers.upload import make_capture, make_outbox

P, U, D, Q, V = (
    QueueState.PENDING,
    QueueState.UPLOADING,
    QueueState.DONE,
    QueueState.QUARANTINED,
    QueueState.VOIDED,
)

# The life of a capture as docs/upload-queue.md tells it; the table in kiosk/queue/states.py must say the same.
DOCUMENTED = {
    (None, P),  # submitted, or an orphan envelope adopted
    (None, Q),  # an orphan envelope whose header does not read
    (P, P),  # staff: send now
    (P, U),  # claimed
    (P, D),  # a late confirmation after staff put a capture being sent back to pending
    (P, Q),  # its file is missing
    (P, V),  # staff void
    (U, P),  # failed attempt, uploader restarted, staff retry
    (U, D),  # confirmed
    (U, Q),  # refused
    (Q, P),  # staff retry
    (Q, Q),  # a new reason
    (Q, V),  # staff void
}
ALL_PAIRS = [(src, dst) for src in (None, *QueueState) for dst in QueueState]


@pytest.fixture
def public(tmp_path: Path):
    _, public_pem = generate_centre_keypair()
    (tmp_path / "centre.pub").write_bytes(public_pem)
    return load_public_key(tmp_path / "centre.pub")


def force_state(outbox: Outbox, capture_id: str, state: QueueState) -> None:
    """Put a row in ``state`` behind the queue's back (as a row read from an old card would be)."""
    with sqlite3.connect(outbox.db_path) as db:
        db.execute(
            "UPDATE envelopes SET state = ?, next_attempt_at = 0, done_at = ? WHERE capture_id = ?",
            (state.value, 1.0 if state in (D, V) else None, capture_id),
        )


def test_the_table_is_the_documented_life_of_a_capture():
    table = {(None, s) for s in INITIAL} | {(src, dst) for src, targets in TRANSITIONS.items() for dst in targets}
    assert table == DOCUMENTED
    assert set(TRANSITIONS) == set(QueueState)  # every state has its row
    assert TRANSITIONS[D] == TRANSITIONS[V] == frozenset()  # done and voided are final


@pytest.mark.parametrize(("source", "target"), ALL_PAIRS, ids=[f"{s}->{t}" for s, t in ALL_PAIRS])
def test_every_move_not_in_the_table_is_refused(tmp_path: Path, public, source, target):
    """On a real database: an allowed move happens, any other raises and leaves the row as it was."""
    with make_outbox(tmp_path, public) as outbox:
        store = outbox.store
        if source is None:
            row = NewRow("cid-new", "booth-01", "2026-06-01", "0" * 64, 10, state=target)
            if (None, target) in DOCUMENTED:
                assert store.insert(row)
                assert store.get("cid-new").state == target
            else:
                with pytest.raises(IllegalTransition, match=f"from nothing to {target}"):
                    store.insert(row)
                assert store.get("cid-new") is None
            return
        capture = make_capture()
        outbox.submit(capture)
        cid = capture.capture_id
        force_state(outbox, cid, source)
        before = store.get(cid)
        with store.tx() as db:
            if (source, target) in DOCUMENTED:
                assert store.move(db, cid, target, updated_at=before.updated_at + 1) == source
            else:
                with pytest.raises(IllegalTransition, match=f"cannot go from {source} to {target}"):
                    store.move(db, cid, target, updated_at=before.updated_at + 1)
        after = store.get(cid)
        if (source, target) in DOCUMENTED:
            assert (after.state, after.updated_at) == (target, before.updated_at + 1)
        else:
            assert after == before
    assert isinstance(IllegalTransition("x"), OutboxError)  # staff and the CLI show it like any queue error


def test_check_transition_takes_the_stored_text():
    check_transition("pending", "voided")
    with pytest.raises(IllegalTransition):
        check_transition("done", "pending")
    with pytest.raises(ValueError):
        check_transition("voided: wrong student", "pending")  # the old reason prefix is no state


@pytest.mark.parametrize("state", list(QueueState), ids=str)
def test_the_uploader_sends_only_what_is_waiting(tmp_path: Path, public, state: QueueState):
    """Due or not, a done, voided or quarantined capture is never claimed nor sent; a capture left
    ``uploading`` by a killed uploader goes back to pending at the next start and is sent."""
    centre = tmp_path / "centre"
    with make_outbox(tmp_path / "booth", public) as outbox:
        capture = make_capture()
        outbox.submit(capture)
        force_state(outbox, capture.capture_id, state)
        claimed = outbox.claim(cutoff=10**12)
        assert (claimed is not None) == (state is P)
        force_state(outbox, capture.capture_id, state)
        summary = Uploader(outbox, DirTarget(centre, create=True)).run_once()
        sent = sorted(p.name for p in centre.rglob("*.xce"))
        entry = outbox.get(capture.capture_id)
        if state in (P, U):
            assert sent == [f"{capture.capture_id}.xce"] and entry.state == D
            assert summary.counts == {"done": 1}
        else:
            assert sent == [] and summary.counts == {}
            assert entry.state == state  # and it stays where it was


@pytest.mark.parametrize("state", [D, V], ids=str)
def test_settled_captures_stay_settled(tmp_path: Path, public, state: QueueState):
    """No operation reopens a done or voided capture: retry refuses, a late quarantine or answer is ignored."""
    with make_outbox(tmp_path, public) as outbox:
        capture = make_capture()
        outbox.submit(capture)
        cid = capture.capture_id
        force_state(outbox, cid, state)
        before = outbox.get(cid)
        with pytest.raises(OutboxError, match="already done" if state is D else "voided by staff"):
            outbox.retry(cid)
        assert outbox.retry_all_quarantined() == []
        outbox.quarantine(cid, "late refusal")
        outbox.mark_retry(cid, "late failure")
        outbox.mark_done(cid)
        assert outbox.void(cid, "late void") == ("already_sent" if state is D else "withdrawn")
        assert outbox.get(cid) == before
        export = tmp_path / "usb"
        export.mkdir()
        assert outbox.export(export, include_quarantined=True) == []
