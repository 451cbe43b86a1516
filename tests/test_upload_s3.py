"""The uploader against an S3 API on loopback (moto's server in a thread), through real HTTP."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.core.config import UploadSection
from kiosk.queue.outbox import Backoff
from kiosk.upload import Action, UploadItem, make_target
from kiosk.upload.loop import Uploader
from kiosk.upload.outcome import TargetError
from kiosk.upload.s3 import S3Target
from tests.helpers.upload import Keys, free_port, make_capture, make_outbox, write_keys


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    return write_keys(tmp_path / "keys")


boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

CREDS = {"s3_access_key_id": "testing", "s3_secret_access_key": "testing", "s3_region": "us-east-1"}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _bucket(endpoint: str, name: str):
    client = _client(endpoint)
    client.create_bucket(Bucket=name)
    return client


def _section(endpoint: str, **kw) -> UploadSection:
    return UploadSection(s3_endpoint_url=endpoint, timeout_s=5, **CREDS, **kw)


def test_drain_to_s3_layout_and_checksum(tmp_path: Path, keys: Keys, s3_endpoint: str) -> None:
    client = _bucket(s3_endpoint, "photos")
    outbox = make_outbox(tmp_path / "data", keys.public)
    captures = [make_capture() for _ in range(8)]
    for c in captures:
        outbox.submit(c)
    target = make_target("s3://photos/kiosks/2026", _section(s3_endpoint))
    assert isinstance(target, S3Target)
    summary = Uploader(outbox, target).run_once()
    assert summary.counts == {"done": 8}
    keys_found = sorted(o["Key"] for o in client.list_objects_v2(Bucket="photos")["Contents"])
    assert keys_found == sorted(f"kiosks/2026/booth-01/2026-06-01/{c.capture_id}.xce" for c in captures)
    for c in captures:
        key = f"kiosks/2026/booth-01/2026-06-01/{c.capture_id}.xce"
        obj = client.get_object(Bucket="photos", Key=key, ChecksumMode="ENABLED")
        body = obj["Body"].read()
        assert body == outbox.path_for(c.capture_id).read_bytes()
        digest = hashlib.sha256(body).digest()
        assert obj["ChecksumSHA256"] == base64.b64encode(digest).decode()
        assert obj["Metadata"]["sha256"] == digest.hex()

    # a retry after a lost answer: the object is there with the same bytes, nothing is written again
    first = captures[0]
    before = client.head_object(Bucket="photos", Key=f"kiosks/2026/booth-01/2026-06-01/{first.capture_id}.xce")
    entry = outbox.get(first.capture_id)
    item = UploadItem(entry.capture_id, entry.kiosk_id, entry.day, entry.sha256, entry.size)
    outcome = target.put(item, outbox.read_envelope(entry))
    assert outcome.action is Action.DONE and outcome.detail == "already in the bucket"
    after = client.head_object(Bucket="photos", Key=f"kiosks/2026/booth-01/2026-06-01/{first.capture_id}.xce")
    assert after["LastModified"] == before["LastModified"] and after["ETag"] == before["ETag"]
    assert client.list_objects_v2(Bucket="photos")["KeyCount"] == 8
    target.close()
    outbox.close()


def test_a_different_object_under_the_key_is_quarantined(tmp_path: Path, keys: Keys, s3_endpoint: str) -> None:
    client = _bucket(s3_endpoint, "clash")
    outbox = make_outbox(tmp_path / "data", keys.public)
    capture = make_capture()
    outbox.submit(capture)
    client.put_object(Bucket="clash", Key=f"booth-01/2026-06-01/{capture.capture_id}.xce", Body=b"other bytes")
    Uploader(outbox, make_target("s3://clash", _section(s3_endpoint))).run_once()
    entry = outbox.get(capture.capture_id)
    assert entry.state == "quarantined" and "different object" in entry.reason
    assert (
        client.get_object(Bucket="clash", Key=f"booth-01/2026-06-01/{capture.capture_id}.xce")["Body"].read()
        == b"other bytes"
    )
    outbox.close()


def test_missing_bucket_retries_slowly(tmp_path: Path, keys: Keys, s3_endpoint: str) -> None:
    outbox = make_outbox(tmp_path / "data", keys.public, backoff=Backoff(min_s=1, max_s=2, slow_s=1000))
    capture = make_capture()
    outbox.submit(capture)
    Uploader(outbox, make_target("s3://no-such-bucket/x", _section(s3_endpoint))).run_once()
    entry = outbox.get(capture.capture_id)
    assert entry.state == "pending" and entry.next_attempt_at - outbox.now() > 400
    assert "NoSuchBucket" in entry.last_error or "404" in entry.last_error
    outbox.close()


def test_unreachable_store_retries_with_backoff(tmp_path: Path, keys: Keys) -> None:
    outbox = make_outbox(tmp_path / "data", keys.public, backoff=Backoff(min_s=1, max_s=2, slow_s=1000))
    capture = make_capture()
    outbox.submit(capture)
    section = _section(f"http://127.0.0.1:{free_port()}")
    Uploader(outbox, make_target("s3://photos", section)).run_once()
    entry = outbox.get(capture.capture_id)
    assert entry.state == "pending" and entry.next_attempt_at - outbox.now() < 3
    assert "cannot reach" in entry.last_error
    outbox.close()


def test_credentials_from_the_environment(
    tmp_path: Path, keys: Keys, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "env-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = _bucket(s3_endpoint, "envcreds")
    outbox = make_outbox(tmp_path / "data", keys.public)
    outbox.submit(make_capture())
    target = make_target("s3://envcreds", UploadSection(s3_endpoint_url=s3_endpoint, timeout_s=5))
    assert Uploader(outbox, target).run_once().counts == {"done": 1}
    assert client.list_objects_v2(Bucket="envcreds")["KeyCount"] == 1
    outbox.close()


@pytest.mark.parametrize("endpoint", ["http://10.1.2.3:9000", "http://minio.campus.example", "ftp://10.1.2.3"])
def test_s3_endpoint_follows_the_http_rule(endpoint: str) -> None:
    """The S3 credentials must not cross a network in clear either: plain http only to this machine."""
    with pytest.raises(TargetError, match="upload.s3_endpoint_url"):
        make_target("s3://photos", _section(endpoint))


@pytest.mark.parametrize("endpoint", ["https://10.1.2.3:9000", "http://127.0.0.1:9000", "http://[::1]:9000"])
def test_s3_endpoint_https_or_loopback_is_fine(endpoint: str) -> None:
    assert make_target("s3://photos", _section(endpoint)).description.endswith(endpoint)
