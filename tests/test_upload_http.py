"""The uploader over HTTP: against the real receiver, and against a server that misbehaves on purpose."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.core.config import UploadSection
from kiosk.queue.outbox import Backoff
from kiosk.storage.sealing import EnvelopeHeader, seal_capture
from kiosk.upload import Action, TargetError, make_target
from kiosk.upload.http import HttpTarget
from kiosk.upload.loop import Uploader, UploaderBusy, uploader_lock
from kiosk.upload.outcome import UploadItem, parse_retry_after
from tests.helpers.upload import (
    Keys,
    Script,
    free_port,
    make_capture,
    make_outbox,
    running_receiver,
    scripted_server,
    self_signed_tls,
)

SLOW_VS_FAST = Backoff(min_s=1, max_s=2, slow_s=1000)


def _one(tmp_path: Path, keys: Keys, **kw):
    outbox = make_outbox(tmp_path / "data", keys.public, **kw)
    capture = make_capture()
    outbox.submit(capture)
    return outbox, capture


def test_drain_to_the_receiver_with_one_corrupt_envelope(tmp_path: Path, keys: Keys) -> None:
    outbox = make_outbox(tmp_path / "data", keys.public)
    captures = [make_capture() for _ in range(20)]
    for c in captures:
        outbox.submit(c)
    # an envelope whose header is fine but whose sealed part is damaged (found on the card, no row)
    bad = make_capture()
    blob = bytearray(seal_capture(bad, keys.public))
    blob[-30] ^= 0xFF
    outbox.path_for(bad.capture_id).write_bytes(bytes(blob))
    with running_receiver(keys.private, tmp_path / "centre") as (base, receiver):
        uploader = Uploader(outbox, HttpTarget(base, token="tok", timeout_s=5))
        summary = uploader.run_once()
        assert summary.counts == {"done": 20, "quarantine": 1}
        assert not summary.all_done
        status = outbox.status()
        assert status.counts == {"pending": 0, "uploading": 0, "done": 20, "quarantined": 1}
        entry = outbox.get(bad.capture_id)
        assert "422" in entry.reason and outbox.path_for(bad.capture_id).exists()  # kept for staff
        for c in captures:
            stored = (tmp_path / "centre" / f"{c.capture_id}.xce").read_bytes()
            assert stored == outbox.path_for(c.capture_id).read_bytes()
        assert sorted(receiver.store.writes) == sorted(c.capture_id for c in captures)
        assert set(receiver.store.writes.values()) == {1}

        # the answer to the next one is lost (uploader killed after sending): sent again, stored once
        late = make_capture()
        outbox.submit(late)
        entry = outbox.claim()
        assert (
            uploader.target.put(
                UploadItem(entry.capture_id, entry.kiosk_id, entry.day, entry.sha256, entry.size),
                outbox.read_envelope(entry),
            ).action
            is Action.DONE
        )
        assert outbox.get(late.capture_id).state == "uploading"
        summary = uploader.run_once()  # reconciles: uploading -> pending -> 200 "already stored"
        assert summary.counts == {"done": 1}
        assert outbox.get(late.capture_id).state == "done"
        assert receiver.store.writes[late.capture_id] == 1
        uploader.target.close()
    outbox.close()


def test_wrong_token_retries_slowly_and_keeps_everything(tmp_path: Path, keys: Keys) -> None:
    outbox, capture = _one(tmp_path, keys, backoff=SLOW_VS_FAST)
    with running_receiver(keys.private, tmp_path / "centre") as (base, receiver):
        summary = Uploader(outbox, HttpTarget(base, token="wrong", timeout_s=5)).run_once()
        assert summary.counts == {"retry-slowly": 1}
        entry = outbox.get(capture.capture_id)
        assert entry.state == "pending" and "credentials" in entry.last_error
        assert entry.next_attempt_at - time.time() > 400
        assert not receiver.store.writes
        outbox.retry(capture.capture_id)  # staff fixed the token
        assert Uploader(outbox, HttpTarget(base, token="tok", timeout_s=5)).run_once().counts == {"done": 1}
    outbox.close()


def _http_date(seconds: float) -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds), usegmt=True)


@pytest.mark.parametrize(
    "answer, state, needle",
    [
        ({"status": 201}, "done", None),
        ({"status": 200}, "done", None),
        ({"status": 409, "json": {"sha256": "SAME"}}, "done", None),
        ({"status": 409, "headers": {"Content-SHA256": "SAME"}}, "done", None),
        ({"status": 409, "json": {"sha256": "0" * 64}}, "quarantined", "different capture"),
        ({"status": 409}, "quarantined", "different capture"),
        ({"status": 400}, "quarantined", "rejected the envelope (400)"),
        ({"status": 413}, "quarantined", "(413)"),
        ({"status": 422}, "quarantined", "(422)"),
        ({"status": 401}, "slow", "credentials (401)"),
        ({"status": 403}, "slow", "credentials (403)"),
        ({"status": 404}, "slow", "unexpected answer 404"),
        ({"status": 204}, "slow", "unexpected answer 204"),
        ({"status": 302, "headers": {"Location": "http://127.0.0.1:1/"}}, "slow", "302"),
        ({"status": 500}, "retry", "(500)"),
        ({"status": 502}, "retry", "(502)"),
        ({"status": 408}, "retry", "(408)"),
        ({"status": 429}, "retry", "(429)"),
        ({"close": True}, "retry", "connection failed"),
        ({"hang": 5}, "retry", "no answer within 0.5 s"),
    ],
)
def test_every_answer_maps_as_the_protocol_says(
    tmp_path: Path, keys: Keys, answer: dict, state: str, needle: str | None
) -> None:
    outbox, capture = _one(tmp_path, keys, backoff=SLOW_VS_FAST)
    sha = outbox.get(capture.capture_id).sha256
    for where in (answer.get("json", {}), answer.get("headers", {})):
        for k, v in where.items():
            if v == "SAME":
                where[k] = sha
    script = Script([answer])
    with scripted_server(script) as base:
        Uploader(outbox, HttpTarget(base + "/centre/api/", token="tok", timeout_s=0.5)).run_once()
    entry = outbox.get(capture.capture_id)
    assert entry.attempts == 1
    if state == "slow":
        assert entry.state == "pending" and entry.next_attempt_at - time.time() > 400
    elif state == "retry":
        assert entry.state == "pending" and entry.next_attempt_at - time.time() < 3
    else:
        assert entry.state == state
    if needle:
        assert needle in entry.last_error
    assert outbox.path_for(capture.capture_id).exists()
    (req,) = script.requests
    assert req["path"] == f"/centre/api/v1/captures/{capture.capture_id}"
    h = req["headers"]
    assert h["Authorization"] == "Bearer tok" and h["Idempotency-Key"] == capture.capture_id
    assert h["Content-Type"] == "application/octet-stream" and h["Content-SHA256"] == sha
    assert req["size"] == entry.size
    outbox.close()


@pytest.mark.parametrize("retry_after", ["7", "date"])
def test_retry_after_is_honoured(tmp_path: Path, keys: Keys, retry_after: str) -> None:
    outbox, capture = _one(tmp_path, keys)
    value = retry_after if retry_after != "date" else _http_date(30)
    with scripted_server(Script([{"status": 503, "headers": {"Retry-After": value}}])) as base:
        Uploader(outbox, HttpTarget(base, token="tok", timeout_s=2)).run_once()
    wait = outbox.get(capture.capture_id).next_attempt_at - time.time()
    expected = 7 if retry_after == "7" else 30
    assert expected - 2 <= wait <= expected + 0.5
    outbox.close()


def test_parse_retry_after() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    assert parse_retry_after("120") == 120
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90
    assert parse_retry_after(format_datetime(now - timedelta(seconds=90), usegmt=True), now) == 0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_backoff_then_success_sends_the_same_bytes(tmp_path: Path, keys: Keys) -> None:
    outbox, capture = _one(tmp_path, keys)
    script = Script([{"status": 500}, {"status": 503}, {"close": True}, {"status": 201}])
    with scripted_server(script) as base:
        uploader = Uploader(outbox, HttpTarget(base, token="tok", timeout_s=2))
        for _ in range(20):
            uploader.run_once()
            if outbox.get(capture.capture_id).state == "done":
                break
            time.sleep(0.06)
    assert outbox.get(capture.capture_id).state == "done"
    assert len(script.requests) == 4
    assert {r["headers"]["Content-SHA256"] for r in script.requests} == {outbox.get(capture.capture_id).sha256}
    assert {r["headers"]["Idempotency-Key"] for r in script.requests} == {capture.capture_id}
    outbox.close()


def test_unreachable_centre(tmp_path: Path, keys: Keys) -> None:
    outbox, capture = _one(tmp_path, keys)
    Uploader(outbox, HttpTarget(f"http://127.0.0.1:{free_port()}", token="t", timeout_s=1)).run_once()
    entry = outbox.get(capture.capture_id)
    assert entry.state == "pending" and "cannot reach" in entry.last_error
    outbox.close()


def test_tls_verification_on_by_default(tmp_path: Path, keys: Keys) -> None:
    ctx, ca_file = self_signed_tls(tmp_path / "tls")
    outbox, capture = _one(tmp_path, keys, backoff=SLOW_VS_FAST)
    with scripted_server(Script([{"status": 201}]), tls=ctx) as base:
        assert base.startswith("https://")
        target = make_target(base, UploadSection(token="tok", timeout_s=2))
        Uploader(outbox, target).run_once()
        entry = outbox.get(capture.capture_id)
        assert entry.state == "pending" and "not trusted" in entry.last_error
        outbox.retry(capture.capture_id)
        target = make_target(base, UploadSection(token="tok", timeout_s=2, ca_file=str(ca_file)))
        assert Uploader(outbox, target).run_once().counts == {"done": 1}
    outbox.close()


@pytest.mark.parametrize("url", ["http://192.0.2.10/api", "http://centre.example/api", "http://10.0.0.1:8090"])
def test_plain_http_only_to_loopback(url: str) -> None:
    with pytest.raises(TargetError, match="only allowed to this machine"):
        make_target(url, UploadSection())


@pytest.mark.parametrize("url", ["http://127.0.0.1:8090", "http://localhost:8090/x", "http://[::1]:8090"])
def test_plain_http_to_loopback_is_fine(url: str) -> None:
    assert isinstance(make_target(url, UploadSection()), HttpTarget)


@pytest.mark.parametrize(
    "url, message",
    [
        ("ftp://x/y", "expected 'https://host/base'"),
        ("dir://relative/path", "three slashes"),
        ("https://user:pw@centre.example/", "token_file"),
    ],
)
def test_bad_targets(url: str, message: str) -> None:
    with pytest.raises(TargetError, match=message):
        make_target(url, UploadSection())


def test_token_file(tmp_path: Path) -> None:
    from kiosk.upload.targets import read_token

    (tmp_path / "t").write_text("  s3cret \n")
    assert read_token(UploadSection(token="inline", token_file=str(tmp_path / "t"))) == "s3cret"
    assert read_token(UploadSection(token="inline")) == "inline"
    with pytest.raises(TargetError, match="no such file"):
        read_token(UploadSection(token_file=str(tmp_path / "missing")))


def _cfg(tmp_path: Path, keys: Keys, target: str) -> str:
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(
        f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n'
        f'[upload]\ntarget = "{target}"\ntoken = "tok"\ncentre_public_key = "{keys.public_path}"\n'
        "backoff_min_s = 0.01\nbackoff_max_s = 0.05\nmin_free_mb = 0\n"
    )
    return str(cfg)


def test_uploader_command_refuses_remote_plain_http(tmp_path: Path, keys: Keys, capsys) -> None:
    assert main(["uploader", "--once", "-c", _cfg(tmp_path, keys, "http://192.0.2.10/api")]) == 2
    err = capsys.readouterr().err
    assert "only allowed to this machine" in err and err.count("\n") == 1


def test_uploader_command_once(tmp_path: Path, keys: Keys, capsys) -> None:
    outbox = make_outbox(tmp_path / "data", keys.public)
    for _ in range(3):
        outbox.submit(make_capture())
    with running_receiver(keys.private, tmp_path / "centre") as (base, receiver):
        assert main(["uploader", "--once", "-c", _cfg(tmp_path, keys, base)]) == 0
    assert "sent 3: done 3" in capsys.readouterr().out
    assert len(receiver.store.writes) == 3
    outbox.close()


def test_only_one_uploader_per_data_folder(tmp_path: Path, keys: Keys, capsys) -> None:
    outbox = make_outbox(tmp_path / "data", keys.public)
    with uploader_lock(outbox):
        with pytest.raises(UploaderBusy), uploader_lock(outbox):
            pass
        assert main(["uploader", "--once", "-c", _cfg(tmp_path, keys, "http://127.0.0.1:1")]) == 2
        assert "another uploader" in capsys.readouterr().err
    with uploader_lock(outbox):  # released
        pass
    outbox.close()


def test_envelope_changed_on_disk_is_quarantined_before_sending(tmp_path: Path, keys: Keys) -> None:
    outbox, capture = _one(tmp_path, keys)
    path = outbox.path_for(capture.capture_id)
    path.write_bytes(EnvelopeHeader(capture.capture_id, "booth-01").encode() + b"\x00" * 100)
    script = Script([{"status": 201}])
    with scripted_server(script) as base:
        Uploader(outbox, HttpTarget(base, token="tok")).run_once()
    assert not script.requests
    assert "changed on disk" in outbox.get(capture.capture_id).reason
    outbox.close()


def test_sha_of_request_body_matches(tmp_path: Path, keys: Keys) -> None:
    """Content-SHA256 is the sha256 of exactly the bytes on disk."""
    outbox, capture = _one(tmp_path, keys)
    data = outbox.path_for(capture.capture_id).read_bytes()
    assert outbox.get(capture.capture_id).sha256 == hashlib.sha256(data).hexdigest()
    outbox.close()


def test_a_failure_ends_the_pass_instead_of_hammering(tmp_path: Path, keys: Keys) -> None:
    outbox = make_outbox(tmp_path / "data", keys.public)
    for _ in range(5):
        outbox.submit(make_capture())
    script = Script([{"status": 503}])
    with scripted_server(script) as base:
        summary = Uploader(outbox, HttpTarget(base, token="tok", timeout_s=2)).run_once()
    assert summary.counts == {"retry-with-backoff": 1} and len(script.requests) == 1
    assert sorted(e.attempts for e in outbox.entries()) == [0, 0, 0, 0, 1]
    outbox.close()


def test_run_forever_waits_out_a_failure_then_drains(tmp_path: Path, keys: Keys) -> None:
    import threading

    outbox = make_outbox(tmp_path / "data", keys.public)
    for _ in range(5):
        outbox.submit(make_capture())
    script = Script([{"status": 500}, {"status": 201}])
    stop = threading.Event()
    with scripted_server(script) as base:
        uploader = Uploader(outbox, HttpTarget(base, token="tok", timeout_s=2), poll_s=0.05)
        thread = threading.Thread(target=uploader.run_forever, args=(stop,), daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while outbox.status().counts["done"] < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        outbox.submit(make_capture())  # arrives while idle: picked up within poll_s
        while outbox.status().counts["done"] < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
    assert outbox.status().counts["done"] == 6 and len(script.requests) == 7
    outbox.close()
