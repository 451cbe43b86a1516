"""The outbox: durable submit, state changes, backoff, reconciliation, disk safety, retention, staff CLI."""

from __future__ import annotations

import errno
import io
import json
import os
import random
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.core.files import atomic_write
from kiosk.queue.outbox import Backoff, Outbox, OutboxError
from kiosk.storage.sealing import open_envelope, seal_capture, sha256_hex
from tests.helpers.upload import Keys, fake_jpeg, make_capture, make_outbox, queue_config


class Clock:
    def __init__(self, t: float = 1_780_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_submit_writes_envelope_then_row(tmp_path: Path, keys: Keys) -> None:
    with make_outbox(tmp_path, keys.public) as outbox:
        capture = make_capture()
        outbox.submit(capture)
        path = outbox.path_for(capture.capture_id)
        entry = outbox.get(capture.capture_id)
        assert entry is not None and entry.state == "pending" and entry.attempts == 0
        assert entry.sha256 == sha256_hex(path.read_bytes()) and entry.size == path.stat().st_size
        assert entry.day == "2026-06-01" and entry.kiosk_id == "booth-01"
        assert open_envelope(path.read_bytes(), keys.private).photo_jpeg == capture.photo_jpeg
        assert oct(path.stat().st_mode & 0o777) == "0o600"
        assert [p.name for p in outbox.dir.iterdir() if not p.name.startswith(".")] == [path.name]
        # only the envelope touches disk: no photo, no name, no uid anywhere in the data folder
        for f in tmp_path.rglob("*"):
            if f.is_file():
                blob = f.read_bytes()
                assert capture.photo_jpeg[:64] not in blob and b"U-12345" not in blob
                assert "北京大学".encode() not in blob


def test_submit_twice_is_a_no_op(tmp_path: Path, keys: Keys) -> None:
    with make_outbox(tmp_path, keys.public) as outbox:
        capture = make_capture()
        outbox.submit(capture)
        before = outbox.path_for(capture.capture_id).read_bytes()
        outbox.submit(capture)
        assert outbox.path_for(capture.capture_id).read_bytes() == before
        assert outbox.status().counts["pending"] == 1


def test_submit_after_crash_between_file_and_row_keeps_the_file(tmp_path: Path, keys: Keys) -> None:
    capture = make_capture()
    with make_outbox(tmp_path, keys.public) as outbox:
        first = outbox.path_for(capture.capture_id)
        atomic_write(first, seal_capture(capture, keys.public))
        data = first.read_bytes()
        outbox.submit(capture)
        assert first.read_bytes() == data
        assert outbox.get(capture.capture_id).sha256 == sha256_hex(data)


def test_submit_without_key_refuses(tmp_path: Path) -> None:
    with make_outbox(tmp_path, None) as outbox, pytest.raises(OutboxError):
        outbox.submit(make_capture())


def test_state_machine_and_backoff(tmp_path: Path, keys: Keys) -> None:
    clock = Clock()
    backoff = Backoff(min_s=10, max_s=100, slow_s=1000)
    with make_outbox(tmp_path, keys.public, clock=clock, backoff=backoff, rng=random.Random(1)) as outbox:
        capture = make_capture()
        outbox.submit(capture)
        cid = capture.capture_id
        waits = []
        for _ in range(6):
            entry = outbox.claim()
            assert entry is not None and entry.state == "uploading"
            assert outbox.claim() is None  # nothing else due
            waits.append(outbox.mark_retry(cid, "centre busy (503)"))
            clock.t = outbox.get(cid).next_attempt_at
        assert outbox.get(cid).attempts == 6
        for i, w in enumerate(waits):
            base = min(100, 10 * 2**i)
            assert base / 2 <= w <= base
        # Retry-After wins when it asks for longer
        outbox.claim()
        assert outbox.mark_retry(cid, "429", retry_after=500) == 500
        clock.t += 500
        outbox.claim()
        assert 500 <= outbox.mark_retry(cid, "401", slow=True) <= 1000
        clock.t += 1000
        outbox.claim()
        outbox.mark_done(cid)
        entry = outbox.get(cid)
        assert entry.state == "done" and entry.done_at == clock.t
        status = outbox.status()
        assert status.counts == {"pending": 0, "uploading": 0, "done": 1, "quarantined": 0}


def test_status_reports_oldest_and_last_error(tmp_path: Path, keys: Keys) -> None:
    clock = Clock()
    with make_outbox(tmp_path, keys.public, clock=clock) as outbox:
        a, b = make_capture(), make_capture()
        outbox.submit(a)
        clock.t += 60
        outbox.submit(b)
        outbox.claim()
        outbox.mark_retry(a.capture_id, "cannot reach the centre")
        clock.t += 30
        status = outbox.status()
        assert status.oldest_pending_age_s == 90
        assert status.last_error == "cannot reach the centre" and status.last_error_capture == a.capture_id
        outbox.claim()
        outbox.quarantine(b.capture_id, "centre rejected the envelope (422)")
        status = outbox.status()
        assert status.counts["quarantined"] == 1
        assert status.quarantined[0]["reason"].startswith("centre rejected")


def test_free_ok_watermark(tmp_path: Path, keys: Keys) -> None:
    free_mb = shutil.disk_usage(tmp_path).free // (1024 * 1024)
    with make_outbox(tmp_path, keys.public, min_free_mb=0) as outbox:
        assert outbox.free_ok()
    with make_outbox(tmp_path, keys.public, min_free_mb=free_mb + 10_000) as outbox:
        assert not outbox.free_ok()
        assert not outbox.status().free_ok


class _HalfThenFull:
    """A file object that takes half of what it is given, then reports a full disk."""

    def __init__(self, fh) -> None:
        self.fh = fh

    def write(self, buf: bytes) -> int:
        self.fh.write(buf[: len(buf) // 2])
        self.fh.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name: str):
        return getattr(self.fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.fh.close()


def test_enospc_leaves_nothing_and_loses_nothing(tmp_path: Path, keys: Keys, monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk fills half way through an envelope: no partial file, no row, earlier captures intact."""
    import kiosk.core.files

    full = {"now": False}
    real_fdopen = os.fdopen

    def fdopen(fd: int, *a, **kw):
        fh = real_fdopen(fd, *a, **kw)
        return _HalfThenFull(fh) if full["now"] else fh

    monkeypatch.setattr(kiosk.core.files.os, "fdopen", fdopen)
    with make_outbox(tmp_path, keys.public) as outbox:
        earlier = [make_capture() for _ in range(3)]
        for c in earlier:
            outbox.submit(c)
        snapshot = {p.name: p.read_bytes() for p in outbox.dir.glob("*.xce")}
        full["now"] = True
        late = make_capture()
        with pytest.raises(OSError) as info:
            outbox.submit(late)
        assert info.value.errno == errno.ENOSPC
        assert not outbox.path_for(late.capture_id).exists()
        assert not list(outbox.dir.glob(".*.tmp"))
        assert outbox.get(late.capture_id) is None
        assert {p.name: p.read_bytes() for p in outbox.dir.glob("*.xce")} == snapshot
        assert outbox.status().counts["pending"] == 3
        full["now"] = False
        outbox.submit(late)  # space back: the same capture goes through
        assert outbox.status().counts["pending"] == 4


def test_injected_writer_enospc(tmp_path: Path, keys: Keys) -> None:
    def writer(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with make_outbox(tmp_path, keys.public, writer=writer) as outbox:
        with pytest.raises(OSError):
            outbox.submit(make_capture())
        assert outbox.status().counts == {"pending": 0, "uploading": 0, "done": 0, "quarantined": 0}
        assert not list(outbox.dir.iterdir())


@pytest.fixture
def tiny_tmpfs(tmp_path: Path):
    mount = tmp_path / "sd"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=640k", "tmpfs", str(mount)], capture_output=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {res.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_real_full_disk(tiny_tmpfs: Path, keys: Keys) -> None:
    """On a real 640 KiB filesystem: fill it up; every accepted capture stays openable, no partial file."""
    with make_outbox(tiny_tmpfs, keys.public) as outbox:
        accepted = []
        with pytest.raises(OSError):
            for _ in range(200):
                capture = make_capture(photo_size=40_000)
                outbox.submit(capture)
                accepted.append(capture)
        assert 3 <= len(accepted) < 200
        assert not list(outbox.dir.glob(".*.tmp"))
        names = sorted(p.name for p in outbox.dir.glob("*.xce"))
        assert names == sorted(f"{c.capture_id}.xce" for c in accepted)
        for c in accepted:
            entry = outbox.get(c.capture_id)
            data = outbox.read_envelope(entry)
            assert open_envelope(data, keys.private).photo_jpeg == c.photo_jpeg
    with make_outbox(tiny_tmpfs, keys.public) as again:  # reopens fine after the disk filled
        assert again.reconcile().to_dict() == {k: 0 for k in again.reconcile().to_dict()}
        assert again.status().counts["pending"] == len(accepted)


def test_reconcile_cases(tmp_path: Path, keys: Keys) -> None:
    with make_outbox(tmp_path, keys.public) as outbox:
        stuck, kept, lost = make_capture(), make_capture(), make_capture()
        outbox.submit(stuck)
        assert outbox.claim().capture_id == stuck.capture_id  # then the uploader is killed
        outbox.submit(kept)
        outbox.submit(lost)
        outbox.path_for(lost.capture_id).unlink()  # row without a file
        # orphans: a good envelope without a row, garbage, a name that disagrees with its header, a temp file
        orphan = make_capture()
        (outbox.dir / f"{orphan.capture_id}.xce").write_bytes(seal_capture(orphan, keys.public))
        garbage_id = str(uuid.uuid4())
        (outbox.dir / f"{garbage_id}.xce").write_bytes(b"\x00" * 500)
        misnamed = str(uuid.uuid4())
        (outbox.dir / f"{misnamed}.xce").write_bytes(seal_capture(make_capture(), keys.public))
        (outbox.dir / f".{orphan.capture_id}.xce.123.tmp").write_bytes(b"half")
        (outbox.dir / "README.txt").write_text("not ours")

        report = outbox.reconcile()
        assert report.requeued_uploading == 1
        assert report.missing_files == 1
        assert report.adopted_files == 1
        assert report.quarantined_files == 2
        assert report.removed_temp_files == 1
        assert outbox.get(stuck.capture_id).state == "pending"
        assert outbox.get(kept.capture_id).state == "pending"
        lost_entry = outbox.get(lost.capture_id)
        assert lost_entry.state == "quarantined" and "missing" in lost_entry.reason
        adopted = outbox.get(orphan.capture_id)
        assert adopted.state == "pending" and adopted.kiosk_id == "booth-01"
        assert outbox.get(garbage_id).state == "quarantined" and "header" in outbox.get(garbage_id).reason
        assert "does not match" in outbox.get(misnamed).reason
        assert (outbox.dir / "README.txt").exists()
        # a second pass changes nothing
        assert not any(outbox.reconcile().to_dict().values())


def test_reconcile_leaves_young_orphans_for_next_time(tmp_path: Path, keys: Keys) -> None:
    with make_outbox(tmp_path, keys.public, orphan_grace_s=3600) as outbox:
        orphan = make_capture()
        path = outbox.dir / f"{orphan.capture_id}.xce"
        path.write_bytes(seal_capture(orphan, keys.public))
        (outbox.dir / ".x.xce.1.tmp").write_bytes(b"being written")
        report = outbox.reconcile()
        assert report.left_young_files == 1 and report.removed_temp_files == 0
        assert outbox.get(orphan.capture_id) is None
        os.utime(path, (path.stat().st_mtime - 7200,) * 2)
        assert outbox.reconcile().adopted_files == 1


def test_retention_deletes_only_after_the_period(tmp_path: Path, keys: Keys) -> None:
    clock = Clock()
    with make_outbox(tmp_path, keys.public, clock=clock, retention_days=2) as outbox:
        done, bad, waiting = make_capture(), make_capture(), make_capture()
        outbox.submit(done)
        outbox.claim()
        outbox.mark_done(done.capture_id)
        outbox.submit(bad)
        outbox.claim()
        outbox.quarantine(bad.capture_id, "422")
        outbox.submit(waiting)
        clock.t += 2 * 86400 - 1
        assert outbox.purge_expired() == 0
        assert outbox.path_for(done.capture_id).exists()
        clock.t += 2
        assert outbox.purge_expired() == 1
        assert not outbox.path_for(done.capture_id).exists()
        assert outbox.path_for(waiting.capture_id).exists() and outbox.path_for(bad.capture_id).exists()
        assert outbox.get(done.capture_id).file_deleted_at == clock.t
        assert not any(outbox.reconcile().to_dict().values())


def test_retention_zero_deletes_at_done(tmp_path: Path, keys: Keys) -> None:
    with make_outbox(tmp_path, keys.public, retention_days=0) as outbox:
        c = make_capture()
        outbox.submit(c)
        outbox.claim()
        outbox.mark_done(c.capture_id)
        assert not outbox.path_for(c.capture_id).exists()


def test_retry_and_export(tmp_path: Path, keys: Keys) -> None:
    with make_outbox(tmp_path, keys.public) as outbox:
        a, b, c = make_capture(), make_capture(), make_capture()
        for cap in (a, b, c):
            outbox.submit(cap)
        outbox.quarantine(a.capture_id, "409 different")
        outbox.claim(cutoff=outbox.now() + 1)
        stick = tmp_path / "usb"
        with pytest.raises(OutboxError, match="mounted"):
            outbox.export(stick)
        stick.mkdir()
        copied = outbox.export(stick)
        assert sorted(copied) == sorted([b.capture_id, c.capture_id])
        for cid in copied:
            assert (stick / f"{cid}.xce").read_bytes() == outbox.path_for(cid).read_bytes()
        assert len(outbox.export(stick, include_quarantined=True)) == 3
        assert outbox.status().counts["quarantined"] == 1  # export changes nothing
        outbox.retry(a.capture_id)
        assert outbox.get(a.capture_id).state == "pending" and outbox.get(a.capture_id).reason is None
        with pytest.raises(OutboxError, match="no capture"):
            outbox.retry(str(uuid.uuid4()))


def test_queue_cli(tmp_path: Path, keys: Keys, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = str(queue_config(tmp_path, keys))
    photo = tmp_path / "backup.jpg"
    photo.write_bytes(fake_jpeg(3000, seed=9))
    from kiosk.cli.queue import queue_add
    from kiosk.core.config import load_config

    kw = {"uid": "U-777", "name": "李小龙", "idn": "110101199001011234", "school": "清华", "level": "硕士"}
    cid = queue_add(load_config(cfg), photo, **kw)  # no checker: queued as unchecked
    outbox = Outbox(tmp_path / "data", None, "booth-07")
    env = outbox.path_for(cid).read_bytes()
    meta = open_envelope(env, keys.private).meta
    assert meta["subject"] == {
        "uid": "U-777",
        "name": "李**",
        "idn": "**************1234",
        "school": "清华",
        "level": "硕士",
    }
    assert meta["kiosk_id"] == "booth-07" and meta["report"]["checked"] is False
    assert b"1101011990" not in env

    assert main(["queue", "status", "-c", cfg, "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["counts"]["pending"] == 1

    outbox.claim()
    outbox.quarantine(cid, "centre rejected the envelope (422)")
    assert main(["queue", "status", "-c", cfg]) == 0
    text = capsys.readouterr().out
    assert "1 quarantined" in text and "422" in text and "U-777" not in text and "李" not in text

    assert main(["queue", "retry", "-c", cfg, "--all-quarantined"]) == 0
    assert outbox.get(cid).state == "pending"
    (tmp_path / "usb").mkdir()
    assert main(["queue", "export", "-c", cfg, "--to", str(tmp_path / "usb")]) == 0
    assert (tmp_path / "usb" / f"{cid}.xce").exists()
    outbox.close()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["queue", "retry"], "give one capture ID"),
        (["queue", "retry", "00000000-0000-4000-8000-000000000000"], "no capture"),
        (["queue", "export", "--to", "/nonexistent/usb"], "no such folder"),
        (
            [
                "queue",
                "add",
                "/nonexistent.jpg",
                "--uid",
                "u",
                "--school",
                "s",
                "--level",
                "l",
            ],
            "cannot read",
        ),
    ],
)
def test_queue_cli_errors_are_one_line(
    tmp_path: Path, keys: Keys, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    cfg = str(queue_config(tmp_path, keys))
    assert main([*argv, "-c", cfg]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_queue_add_refuses_non_jpeg_and_missing_key(tmp_path: Path, keys: Keys, capsys, monkeypatch) -> None:
    cfg = queue_config(tmp_path, keys)
    photo = tmp_path / "x.png"
    photo.write_bytes(b"\x89PNG....")
    base = ["--uid", "u", "--school", "s", "--level", "l", "-c", str(cfg)]
    monkeypatch.setattr("sys.stdin", io.StringIO("n\ni\n"))
    assert main(["queue", "add", str(photo), *base]) == 2
    assert "not a JPEG" in capsys.readouterr().err
    keys.public_path.unlink()
    photo.write_bytes(fake_jpeg(100))
    monkeypatch.setattr("sys.stdin", io.StringIO("n\ni\n"))
    assert main(["queue", "add", str(photo), *base]) == 2
    assert "no such public key" in capsys.readouterr().err


def test_queue_add_checker_hook(tmp_path: Path, keys: Keys) -> None:
    from kiosk.cli.queue import queue_add
    from kiosk.core.config import load_config
    from kiosk.core.errors import CliError

    config = load_config(queue_config(tmp_path, keys))
    photo = tmp_path / "p.jpg"
    photo.write_bytes(fake_jpeg(100))
    seen = []

    def failing(jpeg: bytes, profile: str) -> tuple[dict, bytes]:
        seen.append(profile)
        return {"pass": False, "checks": {"glasses_glare": {"pass": False}, "blur": {"pass": True}}, "ms": 3}, jpeg

    kw = {"uid": "u", "name": "n", "idn": "i", "school": "s", "level": "l"}
    with pytest.raises(CliError, match="glasses_glare"):
        queue_add(config, photo, checker=failing, **kw)
    assert seen == ["chsi"]
    spec_photo = b"\xff\xd8\xffspec"
    cid = queue_add(config, photo, checker=lambda j, p: ({"pass": True, "checks": {}, "ms": 1}, spec_photo), **kw)
    opened = open_envelope(Outbox(config.data_dir, None, "x").path_for(cid).read_bytes(), keys.private)
    meta = opened.meta
    assert meta["report"]["pass"] is True and meta["report"]["source"] == "technician"
    assert opened.photo_jpeg == spec_photo  # the checker's photo is the one queued


def test_queue_add_cli_checks_and_cuts_the_photo(
    tmp_path: Path, keys: Keys, faces_dir: Path, capsys, monkeypatch
) -> None:
    """``kiosk queue add`` runs the booth's compliance check and makes the same 480x640 photo."""
    import cv2
    import numpy as np

    from kiosk.vision.checker import ComplianceChecker
    from tests.helpers.scenes import compliant_still

    cfg = str(queue_config(tmp_path, keys))
    args = ["--uid", "U-9", "--school", "s", "--level", "本科"]
    monkeypatch.setattr("sys.stdin", io.StringIO("王五\n110101199001015678\n"))
    blank = tmp_path / "blank.jpg"
    cv2.imwrite(str(blank), np.full((1520, 2028, 3), 200, np.uint8))
    assert main(["queue", "add", str(blank), "-c", cfg, *args]) == 2
    assert "single_face" in capsys.readouterr().err

    still = tmp_path / "backup-camera.jpg"
    cv2.imwrite(
        str(still), compliant_still(ComplianceChecker("chsi").analyser, faces_dir), [cv2.IMWRITE_JPEG_QUALITY, 95]
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("王五\n110101199001015678\n"))
    assert main(["queue", "add", str(still), "-c", cfg, *args]) == 0
    cid = capsys.readouterr().out.split()[-1]
    opened = open_envelope(Outbox(tmp_path / "data", None, "booth-07").path_for(cid).read_bytes(), keys.private)
    assert opened.meta["report"]["pass"] is True and opened.meta["report"]["source"] == "technician"
    photo = cv2.imdecode(np.frombuffer(opened.photo_jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert photo.shape == (640, 480, 3)


def test_queue_add_keeps_identity_off_the_command_line_and_masks_it(
    tmp_path: Path, keys: Keys, capsys, monkeypatch
) -> None:
    """ps and sudo logs never see the identity, and an almost-whole ID number is re-masked before sealing."""
    cfg = str(queue_config(tmp_path, keys))
    photo = tmp_path / "p.jpg"
    photo.write_bytes(fake_jpeg(100))
    base = ["queue", "add", str(photo), "--uid", "U-9", "--school", "s", "--level", "本科", "-c", cfg]
    assert main([*base, "--name", "王五", "--idn", "110101199001015678"]) == 2
    err = capsys.readouterr().err
    assert "not taken on the command line" in err and err.count("\n") == 1
    assert not list((tmp_path / "data").rglob("*.xce"))

    monkeypatch.setattr("sys.stdin", io.StringIO("王五\n"))
    assert main(base) == 2 and "two lines" in capsys.readouterr().err

    from kiosk.cli.queue import queue_add
    from kiosk.core.config import load_config

    # the API path (no checker) with the partly masked forms an attacker would try (another student: the
    # same uid with the same photo would be the same capture, queued once)
    cid = queue_add(
        load_config(cfg), photo, uid="U-10", name="王小五", idn="11010119900101123*", school="s", level="本科"
    )
    meta = open_envelope(Outbox(tmp_path / "data", None, "x").path_for(cid).read_bytes(), keys.private).meta
    assert meta["subject"]["name"] == "王**" and meta["subject"]["idn"] == "*" * 14 + "123*"

    monkeypatch.setattr("sys.stdin", io.StringIO("王小五\n11010119900101123X\n"))
    monkeypatch.setattr("kiosk.cli.queue.booth_photo_checker", lambda config: None)
    assert main(base) == 0
    cid = capsys.readouterr().out.split()[-1]
    meta = open_envelope(Outbox(tmp_path / "data", None, "x").path_for(cid).read_bytes(), keys.private).meta
    assert meta["subject"]["name"] == "王**" and meta["subject"]["idn"] == "*" * 14 + "123X"
