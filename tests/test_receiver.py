"""The reference receiver, over real HTTP on loopback (waitress in a thread)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from kiosk.cli import main
from kiosk.storage.sealing import INFO_PREFIX, EnvelopeHeader, _suite, seal_capture
from tests.helpers.upload import (
    Keys,
    free_port,
    make_capture,
    python_env,
    running_receiver,
    sealed_bomb,
)

ALPHA, BETA = "alpha-0123456789abcdef", "beta-0123456789abcdef"


def _put(base: str, capture_id: str, body: bytes, token: str | None = "tok", **extra: str) -> requests.Response:
    headers = {
        "Content-Type": "application/octet-stream",
        "Idempotency-Key": capture_id,
        "Content-SHA256": hashlib.sha256(body).hexdigest(),
    }
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    headers.update(extra)
    return requests.put(f"{base}/v1/captures/{capture_id}", data=body, headers=headers, timeout=10)


def test_store_dedupe_and_conflict(tmp_path: Path, keys: Keys) -> None:
    store = tmp_path / "store"
    capture = make_capture()
    body = seal_capture(capture, keys.public)
    with running_receiver(keys.private, store) as (base, receiver):
        r = _put(base, capture.capture_id, body)
        assert r.status_code == 201 and r.json()["sha256"] == hashlib.sha256(body).hexdigest()
        assert (store / f"{capture.capture_id}.xce").read_bytes() == body
        r = _put(base, capture.capture_id, body)
        assert r.status_code == 200 and r.headers["Content-SHA256"] == hashlib.sha256(body).hexdigest()
        other = seal_capture(capture, keys.public)  # same capture sealed again: other bytes
        r = _put(base, capture.capture_id, other)
        assert r.status_code == 409 and r.json()["sha256"] == hashlib.sha256(body).hexdigest()
        assert (store / f"{capture.capture_id}.xce").read_bytes() == body
        assert receiver.store.writes[capture.capture_id] == 1


def test_authentication(tmp_path: Path, keys: Keys) -> None:
    capture = make_capture()
    body = seal_capture(capture, keys.public)
    with running_receiver(keys.private, tmp_path / "s") as (base, _):
        assert _put(base, capture.capture_id, body, token=None).status_code == 401
        r = _put(base, capture.capture_id, body, token="wrong")
        assert r.status_code == 401 and "Bearer" in r.headers["WWW-Authenticate"]
        assert not list((tmp_path / "s").iterdir())


def test_refusals(tmp_path: Path, keys: Keys) -> None:
    capture = make_capture()
    body = seal_capture(capture, keys.public)
    cid = capture.capture_id
    with running_receiver(keys.private, tmp_path / "s") as (base, _):
        assert _put(base, cid, body, **{"Content-SHA256": "0" * 64}).status_code == 400
        assert _put(base, "not-a-uuid", body).status_code == 400
        assert _put(base, cid, body, **{"Idempotency-Key": str(uuid.uuid4())}).status_code == 400
        assert _put(base, cid, b"JUNK" * 50).status_code == 422
        assert _put(base, str(uuid.uuid4()), body).status_code == 422  # header names another id
        corrupt = bytearray(body)
        corrupt[-20] ^= 0xFF
        assert _put(base, cid, bytes(corrupt)).status_code == 422
        forged = body.replace(b"booth-01", b"booth-99", 1)
        assert _put(base, cid, forged).status_code == 422
        # sealed to another centre: parses, but does not open here
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

        foreign = seal_capture(capture, X25519PrivateKey.generate().public_key())
        assert _put(base, cid, foreign).status_code == 422
        # a header that is fine, a payload that is not a container
        header = EnvelopeHeader(cid, "booth-01").encode()
        bogus = header + _suite().encrypt(b"not a zip", keys.public, info=INFO_PREFIX + header)
        assert _put(base, cid, bogus).status_code == 422
        assert not list((tmp_path / "s").glob("*.xce"))
        # and a good one still goes in afterwards
        assert _put(base, cid, body).status_code == 201


def test_too_large_is_413(tmp_path: Path, keys: Keys) -> None:
    import threading

    from kiosk.centre.receiver import Receiver, make_server, serve_until

    receiver = Receiver(keys.private, tmp_path / "s", ["tok"], max_bytes=1000)
    server = make_server(receiver.app(), port=0)
    stop = threading.Event()
    t = threading.Thread(target=serve_until, args=(server, stop), daemon=True)
    t.start()
    try:
        capture = make_capture(photo_size=5000)
        body = seal_capture(capture, keys.public)
        r = _put(f"http://127.0.0.1:{server.effective_port}", capture.capture_id, body)
        assert r.status_code == 413
    finally:
        stop.set()
        t.join(5)


def test_receiver_command(tmp_path: Path, keys: Keys) -> None:
    """``kiosk receiver`` as its own process, stopped with SIGTERM."""
    port = free_port()
    tokens = tmp_path / "tokens"
    tokens.write_text(f"# booths\nbooth-01 {ALPHA}\nbooth-02 {BETA}\n")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kiosk",
            "receiver",
            "--key",
            str(keys.private_path),
            "--store",
            str(tmp_path / "store"),
            "--port",
            str(port),
            "--token-file",
            str(tokens),
        ],
        env=python_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.05)
        capture = make_capture()
        body = seal_capture(capture, keys.public)
        assert _put(base, capture.capture_id, body, token="gamma-0123456789ab").status_code == 401
        assert _put(base, capture.capture_id, body, token=BETA).status_code == 403  # booth-02's token
        assert _put(base, capture.capture_id, body, token=ALPHA).status_code == 201
    finally:
        proc.terminate()
        proc.wait(10)
    assert proc.returncode == 0
    assert (tmp_path / "store" / f"{capture.capture_id}.xce").exists()


def test_receiver_cli_errors(tmp_path: Path, keys: Keys, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.write_text("# nothing\n")
    assert main(["receiver", "--key", str(tmp_path / "missing.key"), "--store", str(tmp_path)]) == 2
    assert (
        main(["receiver", "--key", str(keys.private_path), "--store", str(tmp_path), "--token-file", str(empty)]) == 2
    )
    assert main(["receiver", "--key", str(keys.private_path), "--store", str(tmp_path), "--port", "0"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and all(e.startswith("kiosk: ") for e in err)


def test_unauthorised_upload_is_answered_before_its_body_is_read(tmp_path: Path, keys: Keys) -> None:
    """A 60 MB PUT without a token gets 401 from its headers alone: the client never has to send the body."""
    import socket

    with running_receiver(keys.private, tmp_path / "s") as (base, receiver):
        host, port = base.removeprefix("http://").split(":")
        cid = str(uuid.uuid4())
        for auth in ("", "Authorization: Bearer wrong-token-0123456789\r\n"):
            with socket.create_connection((host, int(port)), timeout=5) as sock:
                head = f"PUT /v1/captures/{cid} HTTP/1.1\r\nHost: x\r\nContent-Length: 60000000\r\n{auth}\r\n"
                sock.sendall(head.encode() + b"\0" * 4096)  # a little of the body, never the rest
                answer = sock.recv(4096)
            assert answer.startswith(b"HTTP/1.1 401") and b"www-authenticate: bearer" in answer.lower()
        assert not list((tmp_path / "s").iterdir())


def test_a_token_uploads_only_as_its_own_booth(tmp_path: Path, keys: Keys) -> None:
    """A stolen booth-01 token cannot forge booth-99's envelopes nor squat on their capture ids."""
    real = make_capture(kiosk_id="booth-99")
    forged = seal_capture(real, keys.public)  # sealed with centre.pub, which every booth holds
    tokens = {ALPHA: "booth-01", BETA: "booth-99"}
    with running_receiver(keys.private, tmp_path / "s", tokens=tokens) as (base, _):
        r = _put(base, real.capture_id, forged, token=ALPHA)
        assert r.status_code == 403 and "another booth" in r.json()["error"]
        assert not list((tmp_path / "s").glob("*.xce"))
        assert _put(base, real.capture_id, seal_capture(real, keys.public), token=BETA).status_code == 201


def test_revoked_booth_is_refused_without_a_restart(tmp_path: Path, keys: Keys) -> None:
    from kiosk.centre.receiver import Credentials

    token_file, revoked = tmp_path / "tokens", tmp_path / "revoked"
    token_file.write_text(f"booth-01 {ALPHA}\n")
    revoked.write_text("# stolen booths\n")
    credentials = Credentials.from_files(token_file, revoked, insecure_open=False)
    with running_receiver(keys.private, tmp_path / "s", tokens=credentials) as (base, _):
        first, second = make_capture(), make_capture()
        assert _put(base, first.capture_id, seal_capture(first, keys.public), token=ALPHA).status_code == 201
        revoked.write_text("# stolen booths\nbooth-01  # 2026-06-02, reported by the school\n")
        r = _put(base, second.capture_id, seal_capture(second, keys.public), token=ALPHA)
        assert r.status_code == 403 and "revoked" in r.json()["error"]
        token_file.write_text(f"booth-01 {BETA}\n")  # rotation: the old token stops working at once
        revoked.write_text("")
        assert _put(base, second.capture_id, seal_capture(second, keys.public), token=ALPHA).status_code == 401
        assert _put(base, second.capture_id, seal_capture(second, keys.public), token=BETA).status_code == 201


def test_receiver_needs_tokens_bound_to_booths(tmp_path: Path, keys: Keys, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["receiver", "--key", str(keys.private_path), "--store", str(tmp_path / "s"), "--port", str(free_port())]
    assert main(base) == 2
    assert "--insecure-open" in capsys.readouterr().err
    shared = tmp_path / "tokens"
    shared.write_text(f"{ALPHA}\n")
    assert main([*base, "--token-file", str(shared)]) == 2
    err = capsys.readouterr().err
    assert "line 1" in err and "<kiosk id> <token>" in err and err.count("\n") == 1


def test_a_sealed_zip_bomb_gets_422(tmp_path: Path, keys: Keys) -> None:

    cid, bomb = sealed_bomb(keys, 40 * 1024 * 1024)
    with running_receiver(keys.private, tmp_path / "s") as (base, _):
        r = _put(base, cid, bomb)
        assert r.status_code == 422 and "compressed" in r.json()["error"]


def test_the_centre_finds_one_uid_photographed_at_two_booths(tmp_path: Path, keys: Keys, capsys) -> None:
    """A code minted on a stolen booth for a uid already photographed elsewhere shows up at the centre."""
    from dataclasses import replace

    first = make_capture(kiosk_id="booth-01")
    minted = replace(make_capture(kiosk_id="booth-07"), subject=first.subject)
    other = make_capture(kiosk_id="booth-02")
    other = replace(other, subject=replace(other.subject, uid="U-99999"))
    store = tmp_path / "store"
    store.mkdir()
    for capture in (first, minted, other):
        (store / f"{capture.capture_id}.xce").write_bytes(seal_capture(capture, keys.public))
    (store / f"{uuid.uuid4()}.xce").write_bytes(b"JUNK" * 20)
    argv = ["duplicates", "--key", str(keys.private_path), "--store", str(store)]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "3 captures, 1 students photographed more than once" in out
    assert "uid U-12345: 2 captures from booth-01, booth-07" in out and "unreadable" in out
    assert main([*argv, "--json"]) == 1
    import json

    doc = json.loads(capsys.readouterr().out)
    assert sorted(c["kiosk_id"] for c in doc["duplicates"]["U-12345"]) == ["booth-01", "booth-07"]
    (store / f"{minted.capture_id}.xce").unlink()
    assert main(argv) == 0


def test_a_broken_token_file_edit_keeps_the_last_good_list(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from kiosk.centre.receiver import Credentials

    token_file = tmp_path / "tokens"
    token_file.write_text(f"booth-01 {ALPHA}\n")
    credentials = Credentials.from_files(token_file, None, insecure_open=False)
    token_file.write_text(f"booth-01 {ALPHA}\n{BETA}\n")  # a line without its kiosk id
    for _ in range(3):
        assert credentials.booth_for(f"Bearer {ALPHA}") == "booth-01"
    assert credentials.booth_for(f"Bearer {BETA}") is None
    assert caplog.text.count("cannot reload") == 1 and "line 2" in caplog.text


def test_a_squatted_capture_id_does_not_quarantine_the_real_photo(tmp_path: Path, keys: Keys, capsys) -> None:
    """booth-01's token stores an envelope under booth-99's capture id first: booth-99's photo still
    goes in (kept apart, 201, then 200 on a retry), and ``kiosk duplicates`` shows the pair."""
    from dataclasses import replace

    real = make_capture(kiosk_id="booth-99")
    squat = replace(make_capture(kiosk_id="booth-01"), capture_id=real.capture_id)
    store = tmp_path / "s"
    tokens = {ALPHA: "booth-01", BETA: "booth-99"}
    with running_receiver(keys.private, store, tokens=tokens) as (base, _):
        assert _put(base, real.capture_id, seal_capture(squat, keys.public), token=ALPHA).status_code == 201
        body = seal_capture(real, keys.public)
        r = _put(base, real.capture_id, body, token=BETA)
        assert r.status_code == 201 and r.json()["conflict"] is True
        assert _put(base, real.capture_id, body, token=BETA).status_code == 200  # a retry: already stored
        again = _put(base, real.capture_id, seal_capture(real, keys.public), token=BETA)
        assert again.status_code == 409  # the same booth with other bytes is still a conflict
    assert (store / "conflicts" / "booth-99" / f"{real.capture_id}.xce").read_bytes() == body
    assert main(["duplicates", "--key", str(keys.private_path), "--store", str(store)]) == 1
    assert f"capture id used by two booths: {real.capture_id}: booth-01, booth-99" in capsys.readouterr().out
