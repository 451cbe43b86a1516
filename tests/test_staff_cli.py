"""``kiosk passwd``: the password hash file, prompts twice or reads stdin, and leaves an audit line."""

from __future__ import annotations

import io
import stat

import pytest

from kiosk.cli import main
from kiosk.staff.auth import PasswordFile
from kiosk.staff.store import StaffStore


def test_passwd_from_stdin(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough secret\n"))
    assert main(["passwd", "--data", str(tmp_path), "--password-stdin"]) == 0
    assert "password set for staff" in capsys.readouterr().out
    passwords = PasswordFile.for_data_dir(tmp_path)
    assert stat.S_IMODE(passwords.path.stat().st_mode) == 0o600
    assert passwords.verify("staff", "a long enough secret")
    with StaffStore.for_data_dir(tmp_path) as store:
        (row,) = store.query("SELECT who, action, target FROM audit_log")
    assert row["who"].startswith("cli") and (row["action"], row["target"]) == ("password_set", "staff")


def test_passwd_prompts_twice(tmp_path, monkeypatch):
    answers = iter(["another good one", "another good one"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["passwd", "anna", "--data", str(tmp_path)]) == 0
    assert PasswordFile.for_data_dir(tmp_path).verify("anna", "another good one")


@pytest.mark.parametrize(
    ("argv", "answers", "message"),
    [
        (["passwd"], ["first one here", "second one here"], "the two passwords differ"),
        (["passwd"], ["short", "short"], "too short"),
        (["passwd", "no spaces please"], [], "user name"),
    ],
)
def test_passwd_mistakes_are_one_line(tmp_path, monkeypatch, capsys, argv, answers, message):
    it = iter(answers)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(it))
    assert main([*argv, "--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kiosk: ") and message in err and err.count("\n") == 1
    assert not PasswordFile.for_data_dir(tmp_path).path.exists()
