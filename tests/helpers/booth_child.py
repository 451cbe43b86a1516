"""A booth process for the kill tests: the real state machine, records and sealed queue on a data folder,
with the camera and the compliance check replaced (the hardware edge). It serves one student and can
SIGKILL itself at one named step of acceptance.

    python -m tests.helpers.booth_child DATA CENTRE_PUB UID CRASH_POINT   (from the repository root)

Prints ``accepted <capture id>``, ``already`` (the booth recognised the student) or ``paused`` and exits
0, unless it killed itself at CRASH_POINT ("none" runs to the end).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from kiosk.booth import Booth, BoothSettings, CodeSeen, Touch
from kiosk.core import files
from kiosk.core.clock import FakeClock
from kiosk.queue.outbox import Outbox
from kiosk.storage.records import BoothRecords
from kiosk.storage.sealing import SUFFIX, load_public_key
from tests.helpers.fakes import FakeCamera, FakeLights, ScriptedChecker, decode

# Every step boundary of acceptance, in the order the booth passes them.
CRASH_POINTS = (
    "verdict_recorded",  # the capture row exists (accepted=0); nothing sealed yet
    "envelope_temp_written",  # the sealed temp file is written and fsynced, not yet renamed
    "envelope_renamed",  # renamed into the outbox, folder not yet fsynced
    "envelope_durable",  # the envelope survives a power cut; no queue row yet
    "queue_row_committed",  # the queue holds it; the booth's records do not say accepted yet
    "marked_accepted",  # the booth's records say accepted; the session is still open
    "session_ended",  # everything done, the booth back at idle
)


def die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def main(data: Path, centre_pub: Path, uid: str, crash: str) -> int:
    if crash != "none" and crash not in CRASH_POINTS:
        raise SystemExit(f"unknown crash point {crash}")

    def at(point: str) -> None:
        if point == crash:
            die()

    real_replace, real_fsync_dir = files.os.replace, files.fsync_dir

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if str(dst).endswith(SUFFIX):
            at("envelope_temp_written")
        real_replace(src, dst)

    def fsync_dir(path: Path) -> None:
        if Path(path).name == "outbox":
            at("envelope_renamed")
        real_fsync_dir(path)

    files.os.replace = replace  # type: ignore[assignment]
    files.fsync_dir = fsync_dir  # type: ignore[assignment]

    def writer(path: Path, data: bytes) -> Path:
        out = files.atomic_write(path, data)
        at("envelope_durable")
        return out

    clock = FakeClock()
    records = BoothRecords.open(data, clock)
    outbox = Outbox(data, load_public_key(centre_pub), "booth-k", min_free_mb=0, writer=writer)
    real_record, real_mark, real_end = records.record_capture, records.mark_accepted, records.end_session

    def record_capture(*args, **kw) -> None:  # type: ignore[no-untyped-def]
        real_record(*args, **kw)
        at("verdict_recorded")

    def mark_accepted(capture_id: str) -> None:
        at("queue_row_committed")
        real_mark(capture_id)
        at("marked_accepted")

    def end_session(session_id: int, outcome: str) -> None:
        real_end(session_id, outcome)
        if outcome == "accepted":
            at("session_ended")

    records.record_capture = record_capture  # type: ignore[method-assign]
    records.mark_accepted = mark_accepted  # type: ignore[method-assign]
    records.end_session = end_session  # type: ignore[method-assign]

    booth = Booth(
        BoothSettings(kiosk_id="booth-k"),
        clock,
        decode,
        FakeCamera(),
        FakeLights(),
        ScriptedChecker([True]),
        lambda still, report: b"\xff\xd8\xff\xe0registration-photo\xff\xd9",
        records,
        outbox,
    )

    def send(event: object) -> None:
        booth.post(event)  # type: ignore[arg-type]
        booth.step()

    if booth.state.name == "paused":
        print("paused")
        return 0
    send(CodeSeen(f"GOOD:{uid}"))
    if booth.state.name != "confirm":
        print("already")
        return 0
    send(Touch("confirm"))
    send(Touch("start"))
    for _ in range(20):
        clock.advance(0.25)
        booth.step()
    assert booth.state.name == "review", booth.state.name
    capture_id = booth.ctx.capture_id
    send(Touch("accept"))
    assert booth.state.name == "done", booth.state.name
    for _ in range(40):
        clock.advance(0.25)
        booth.step()
    assert booth.state.name == "idle", booth.state.name
    print(f"accepted {capture_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]))
