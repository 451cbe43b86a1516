"""``kiosk check``: JSON lines, exit status 0 when every photo was judged, 2 with one line otherwise."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.cli import main
from tests.helpers.paths import FACES

PHOTO = FACES / "celeba_wild_019167.jpg"


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    if not PHOTO.is_file():
        pytest.skip(f"shared face photos not found at {FACES}")
    return Path(shutil.copy(PHOTO, tmp_path / "student.jpg"))


def test_json_line_per_photo(photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((480, 640, 3), 200, np.uint8))
    assert main(["check", "--json", str(photo), str(blank)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["file"] for line in lines] == [str(photo), str(blank)]
    first = lines[0]
    assert set(first) == {"file", "pass", "asked", "checks", "ms"} and isinstance(first["pass"], bool)
    for cid, c in first["checks"].items():
        assert {"pass", "score", "value", "message"} <= set(c), cid
        assert 0.0 <= c["score"] <= 1.0 and set(c["message"]) == {"zh", "en"}
    assert first["checks"]["single_face"]["pass"] is True
    assert lines[1]["pass"] is False
    assert lines[1]["checks"]["single_face"]["message"]["en"] == "No face found, please face the camera."


def test_plain_output_and_profile(photo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--profile", "chsi-no-glasses", str(photo)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{photo}: ") and (" PASS " in out or " FAIL " in out)


def test_unreadable_input_is_one_line_and_status_2(
    photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not a jpeg at all")
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    assert main(["check", "--json", str(photo), str(junk), str(empty), str(tmp_path / "missing.jpg")]) == 2
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 1  # the readable photo was still judged
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and "junk.jpg: not a readable image" in err[0] and "2 more" in err[0]
    assert "Traceback" not in captured.err


def test_unknown_profile(photo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--profile", "nope", str(photo)]) == 2
    assert "unknown compliance profile 'nope'" in capsys.readouterr().err


def test_missing_models_dir(photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--models", str(tmp_path), str(photo)]) == 2
    assert "model file not found" in capsys.readouterr().err


def test_stderr_stays_clean_in_a_real_process(tmp_path: Path) -> None:
    """The runtime's XNNPACK INFO line, printed from C++, never reaches the command's stderr."""
    import subprocess
    import sys

    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((480, 640, 3), 200, np.uint8))
    done = subprocess.run(
        [sys.executable, "-m", "kiosk", "check", str(blank)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{blank}: FAIL")
    assert done.stderr == ""
