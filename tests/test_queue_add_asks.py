"""``kiosk queue add`` and unsure checks: nobody can tap an answer, so the technician answers for the student."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.queue.outbox import Outbox
from kiosk.storage.sealing import open_envelope
from tests.helpers.upload import Keys, fake_jpeg, queue_config

EARRINGS = "If you are wearing earrings or a necklace, please take them off and retake"


def asking_checker(*asked: str):
    """The booth's check as it reports a passing photo it was unsure about (``asked`` checks)."""

    def check(jpeg: bytes, profile: str) -> tuple[dict, bytes]:
        checks = {"glasses": {"pass": True, "ask": False, "message": {"zh": "", "en": ""}}}
        for cid in asked:
            question = EARRINGS if cid == "jewellery" else f"Is the {cid} check right?"
            checks[cid] = {"pass": True, "ask": True, "message": {"zh": "如果……", "en": question}}
        return {"pass": True, "asked": list(asked), "checks": checks, "ms": 2.0}, jpeg

    return check


@pytest.fixture
def rig(tmp_path: Path, keys: Keys, monkeypatch: pytest.MonkeyPatch):
    cfg = str(queue_config(tmp_path, keys))
    photo = tmp_path / "backup.jpg"
    photo.write_bytes(fake_jpeg(2000, seed=3))
    checker = {"fn": asking_checker("jewellery", "heavy_makeup")}
    monkeypatch.setattr("kiosk.cli.queue.booth_photo_checker", lambda config: checker["fn"])
    # The name and ID number come on stdin (never on the command line); each run reads them afresh.
    monkeypatch.setattr("sys.stdin", _Identity())
    argv = ["queue", "add", str(photo), "-c", cfg, "--uid", "U-1", "--school", "s", "--level", "本科"]
    return argv, checker, tmp_path


class _Identity(io.StringIO):
    """stdin holding the two identity lines for every read."""

    def read(self, size: int | None = -1) -> str:
        return "王五\n110101199001015678\n"


def _meta(tmp_path: Path, keys: Keys, cid: str) -> dict:
    outbox = Outbox(tmp_path / "data", None, "booth-07")
    try:
        return open_envelope(outbox.path_for(cid).read_bytes(), keys.private).meta
    finally:
        outbox.close()


def test_unanswered_questions_refuse_with_one_line_naming_them(rig, keys, capsys):
    argv, _, tmp_path = rig
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "jewellery (If you are wearing earrings" in err and "heavy_makeup" in err
    assert "--answered jewellery,heavy_makeup" in err
    assert not list((tmp_path / "data").rglob("*.xce"))  # nothing queued

    assert main([*argv, "--answered", "jewellery"]) == 2  # one answer is not enough
    err = capsys.readouterr().err
    assert "heavy_makeup" in err and "jewellery (" not in err


def test_answered_photo_is_queued_with_the_answers_sealed(rig, keys, capsys):
    argv, _, tmp_path = rig
    assert main([*argv, "--answered", "heavy_makeup, jewellery,glasses"]) == 0
    cid = capsys.readouterr().out.split()[-1]
    meta = _meta(tmp_path, keys, cid)
    # In the order the check asked; "glasses" did not ask, so it is not recorded as answered.
    assert meta["answered"] == ["jewellery", "heavy_makeup"]
    assert meta["report"]["source"] == "technician" and meta["report"]["asked"] == ["jewellery", "heavy_makeup"]


def test_a_sure_photo_needs_no_answers(rig, keys, capsys):
    argv, checker, tmp_path = rig
    checker["fn"] = asking_checker()
    assert main(argv) == 0
    cid = capsys.readouterr().out.split()[-1]
    assert _meta(tmp_path, keys, cid)["answered"] == []
