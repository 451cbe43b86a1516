"""``kiosk codes``: keygen, issue and read through the real entry point, exit codes and output shape."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.cli import main
from kiosk.codes import Keyring, issue_code, load_code_reader
from kiosk.codes.phone_screen import render_phone

STUDENT = ["--uid", "2024123456789", "--name", "张三", "--idn", "110101200001018746"]
STUDENT += ["--school", "北京大学", "--level", "本科"]


@pytest.fixture
def keyring(tmp_path: Path) -> Path:
    path = tmp_path / "keyring.toml"
    Keyring.generate(path, "k2024")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["codes", *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def write_image(path: Path, image: np.ndarray) -> Path:
    assert cv2.imwrite(str(path), image)
    return path


def test_keygen_writes_a_private_keyring_and_will_not_overwrite(tmp_path: Path, capsys) -> None:
    path = tmp_path / "k.toml"
    code, out, _ = run(capsys, "keygen", "--out", str(path), "--kid", "booth1")
    assert code == 0 and "booth1" in out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and Keyring.load(path).kids == ("booth1",)
    before = path.read_bytes()
    code, out, err = run(capsys, "keygen", "--out", str(path))
    assert code == 2 and "--force" in err and err.count("\n") == 1 and path.read_bytes() == before
    code, _, _ = run(capsys, "keygen", "--out", str(path), "--kid", "booth2", "--force")
    assert code == 0 and Keyring.load(path).kids == ("booth2",)


def test_keygen_rejects_a_bad_key_id(tmp_path: Path, capsys) -> None:
    code, _, err = run(capsys, "keygen", "--out", str(tmp_path / "k.toml"), "--kid", "bad id!")
    assert code == 2 and "key id" in err


def test_issue_prints_a_code_that_reads_back(keyring: Path, tmp_path: Path, capsys) -> None:
    png = tmp_path / "code.png"
    code, out, _ = run(capsys, "issue", "--keyring", str(keyring), *STUDENT, "--expires-in", "600", "--png", str(png))
    text = out.strip()
    assert code == 0 and text.startswith("XC1:k2024:") and len(text) <= 512
    assert png.is_file()
    code, out, _ = run(capsys, "read", "--keyring", str(keyring), "--json", str(png))
    line = json.loads(out)
    assert code == 0
    assert line == {
        "file": str(png),
        "ok": True,
        "subject": {
            "uid": "2024123456789",
            "name": "张*",
            "idn": "**************8746",
            "school": "北京大学",
            "level": "本科",
        },
    }
    assert "张*" in out  # ensure_ascii=False: readable Chinese, not \\u escapes


def test_issue_usage_errors(keyring: Path, tmp_path: Path, capsys) -> None:
    code, _, err = run(capsys, "issue", "--keyring", str(tmp_path / "none.toml"), *STUDENT)
    assert code == 2 and "no keyring" in err
    code, _, err = run(capsys, "issue", "--keyring", str(keyring), *STUDENT, "--kid", "other")
    assert code == 2 and "other" in err
    code, _, err = run(capsys, "issue", "--keyring", str(keyring), *STUDENT[:-2], "--level", "本" * 17)
    assert code == 2 and "level" in err
    with pytest.raises(SystemExit) as info:
        main(["codes", "issue", "--keyring", str(keyring), *STUDENT, "--expires-in", "-5"])
    assert info.value.code == 2


def test_issue_with_several_keys_needs_kid(tmp_path: Path, capsys) -> None:
    path = tmp_path / "k.toml"
    path.write_text('[keys]\na = "' + "A" * 43 + '="\nb = "' + "B" * 43 + '="\n')
    code, _, err = run(capsys, "issue", "--keyring", str(path), *STUDENT)
    assert code == 2 and "--kid" in err
    code, out, _ = run(capsys, "issue", "--keyring", str(path), *STUDENT, "--kid", "b")
    assert code == 0 and out.startswith("XC1:b:")


def test_read_reports_each_image(keyring: Path, tmp_path: Path, capsys) -> None:
    ring = Keyring.load(keyring)
    good = issue_code(ring, "k2024", "U1", "李四", "1234", "清华大学", "研究生", int(time.time()) - 60)
    expired = issue_code(ring, "k2024", "U2", "王五", "5678", "S", "本科", 1_000_000_000, exp=1_000_000_100)
    foreign = issue_code(Keyring({"k1999": bytes(32)}), "k1999", "U3", "赵六", "9012", "S", "本科", 1_000_000_000)
    images = [
        write_image(tmp_path / "good.jpg", render_phone(good)),
        write_image(tmp_path / "expired.png", render_phone(expired)),
        write_image(tmp_path / "foreign.png", render_phone(foreign)),
        write_image(tmp_path / "url.png", render_phone("https://example.org/")),
        write_image(tmp_path / "blank.png", render_phone("")),
    ]
    code, out, _ = run(capsys, "read", "--keyring", str(keyring), "--json", *map(str, images))
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and len(lines) == 5
    assert [line["file"] for line in lines] == [str(p) for p in images]
    assert lines[0]["ok"] is True and lines[0]["subject"]["name"] == "李*"
    assert [line.get("outcome") for line in lines[1:]] == [
        "expired",
        "unknown_key",
        "not_a_capture_code",
        "no_code_found",
    ]
    for line in lines[1:]:
        assert line["ok"] is False and line["message"]["zh"] and line["message"]["en"]
    assert lines[1]["message"] == {
        "zh": "采集码已过期，请重新获取",
        "en": "This code has expired, please get a new one",
    }

    code, out, _ = run(capsys, "read", "--keyring", str(keyring), *map(str, images))
    rows = out.splitlines()
    assert code == 1 and len(rows) == 5
    assert "ok" in rows[0] and "李*" in rows[0] and "expired" in rows[1] and "采集码已过期" in rows[1]

    code, out, _ = run(capsys, "read", "--keyring", str(keyring), str(images[0]))
    assert code == 0 and out.count("\n") == 1


def test_read_usage_errors_exit_2_with_one_line(keyring: Path, tmp_path: Path, capsys) -> None:
    image = write_image(tmp_path / "blank.png", render_phone(""))
    not_image = tmp_path / "notes.png"
    not_image.write_text("not an image")
    cases = [
        ("--keyring", str(tmp_path / "none.toml"), str(image)),
        ("--keyring", str(keyring), str(tmp_path / "missing.png")),
        ("--keyring", str(keyring), str(not_image)),
        ("--keyring", str(tmp_path), str(image)),
    ]
    for argv in cases:
        code, out, err = run(capsys, "read", *argv)
        assert code == 2 and err.startswith("kiosk: ") and err.count("\n") == 1, (argv, err)


def test_read_uses_the_config_keyring_by_default(keyring: Path, tmp_path: Path, capsys) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[codes]\nkeyring = "{keyring}"\n')
    text = issue_code(Keyring.load(keyring), "k2024", "U9", "周七", "1111", "S", "本科", int(time.time()) - 60)
    image = write_image(tmp_path / "code.png", render_phone(text))
    code, out, _ = run(capsys, "read", "-c", str(config), "--json", str(image))
    assert code == 0 and json.loads(out)["subject"]["uid"] == "U9"


def test_codes_without_action_shows_usage(capsys) -> None:
    code, out, _ = run(capsys)
    assert code == 2 and "keygen" in out


def test_issue_reads_a_real_identity_from_stdin(keyring: Path, capsys, monkeypatch) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("王小明\n110101200001018746\n"))
    rest = ["--uid", "2024123456789", "--school", "北京大学", "--level", "本科"]
    code, out, _ = run(capsys, "issue", "--keyring", str(keyring), *rest)
    assert code == 0
    reader = load_code_reader(["xc1"], keyring)
    subject = reader.decode(out.strip(), time.time())
    assert (subject.name, subject.idn) == ("王**", "**************8746")
