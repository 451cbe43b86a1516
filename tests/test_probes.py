"""The shared probes (kiosk.ops.probes): each fails when its fact is false, measured the real way where
the machine allows it: a fake ``timedatectl`` on PATH, a full tmpfs, a forged model, a local HTTPS
server whose self-signed certificate the probe must refuse exactly as the uploader does."""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import shutil
import ssl
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from kiosk.app.checks import Status
from kiosk.app.hardware import check_models
from kiosk.app.surroundings import check_clock, check_disk, check_upload
from kiosk.core.config import UploadSection, load_config
from kiosk.ops.probes import (
    MODEL_FILES,
    Level,
    probe_centre,
    probe_clock,
    probe_disk_free,
    probe_models,
    probe_writable,
)
from kiosk.upload import Action, UploadItem, make_target
from tests.helpers.tinyfs import fill, tiny_filesystem
from tests.helpers.upload import free_port, self_signed_tls

REPO = Path(__file__).resolve().parents[1]
MB = 1024 * 1024


# -- clock -------------------------------------------------------------------------------------------


def fake_command(bin_dir: Path, name: str, script: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    path.chmod(0o755)


@pytest.mark.parametrize(
    "script, level, value",
    [
        ("echo yes", Level.OK, True),
        ("echo no", Level.FAIL, False),
        ("exit 1", Level.WARN, None),  # timedated not running: cannot tell
        ("sleep 5", Level.WARN, None),  # hangs: cannot tell, and the probe does not wait for it
    ],
)
def test_clock_probe_asks_timedatectl_on_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str, level: Level, value: bool | None
) -> None:
    fake_command(tmp_path / "bin", "timedatectl", script)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    result = probe_clock(timeout_s=0.5)
    assert (result.level, result.value) == (level, value)


def test_clock_probe_without_timedatectl_is_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = probe_clock()
    assert result.level is Level.WARN and result.value is None and "timedatectl" in result.detail


def test_selftest_and_staff_health_read_the_same_timedatectl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kiosk.staff.health import SystemProbe
    from tests.helpers.staff import make_rig

    fake_command(tmp_path / "bin", "timedatectl", "echo no")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    rig = make_rig(tmp_path / "rig", probe=SystemProbe(root=tmp_path / "no-sys"))
    health = rig.console.health.snapshot()
    assert health.system.clock_synchronised is False
    assert "clock" in {w.key for w in health.warnings}
    selftest = check_clock()
    assert selftest.status is Status.FAIL and selftest.detail.startswith("not synchronised; the clock says ")


# -- disk --------------------------------------------------------------------------------------------


def test_a_full_filesystem_fails_the_disk_probe_until_room_is_made(tmp_path: Path) -> None:
    with tiny_filesystem(tmp_path / "tiny", 2048) as mount:
        data = mount / "data"
        data.mkdir()
        assert probe_disk_free(data, 1).level is Level.OK
        filler = fill(mount)
        full = probe_disk_free(data, 1)
        assert full.level is Level.FAIL
        assert full.value is not None and full.value.free_bytes < MB and full.value.total_bytes == 2048 * 1024
        assert full.detail == f"0 MB free for {data} (the booth pauses below 1 MB)"
        assert check_disk(data, 1).status is Status.FAIL
        filler.unlink()
        assert probe_disk_free(data, 1).level is Level.OK


def test_disk_probe_measures_where_a_new_data_folder_will_be_made(tmp_path: Path) -> None:
    seen: list[Path] = []

    class Usage:
        free, total = 300 * MB, 1000 * MB

    def usage(path: Path) -> Usage:
        seen.append(path)
        return Usage()

    result = probe_disk_free(tmp_path / "not" / "yet", 500, usage)
    assert seen == [tmp_path]
    assert result.level is Level.FAIL and result.value is not None and result.value.free_mb == 300
    assert probe_disk_free(tmp_path / "not" / "yet", 300, usage).level is Level.OK  # the watermark itself is enough


def test_disk_that_cannot_be_measured_fails_with_the_reason(tmp_path: Path) -> None:
    def broken(path: Path) -> object:
        raise OSError(5, "Input/output error")

    result = probe_disk_free(tmp_path, 1, broken)
    assert result.level is Level.FAIL and result.value is None and "Input/output error" in result.detail


def test_writable_probe_asks_the_folder_that_exists(tmp_path: Path) -> None:
    asked: list[Path] = []

    def read_only(path: Path) -> bool:
        asked.append(path)
        return False

    result = probe_writable(tmp_path / "data", read_only)
    assert asked == [tmp_path] and result.level is Level.FAIL and str(tmp_path) in result.detail
    assert probe_writable(tmp_path / "data").level is Level.OK


# -- models ------------------------------------------------------------------------------------------


@pytest.fixture
def models(tmp_path: Path) -> Path:
    """A copy of the shipped models folder: the six models and SHA256SUMS."""
    folder = tmp_path / "models"
    folder.mkdir()
    for name in (*MODEL_FILES, "SHA256SUMS"):
        shutil.copyfile(REPO / "models" / name, folder / name)
    return folder


def test_shipped_models_match_their_checksums(models: Path) -> None:
    result = probe_models(models)
    assert result.level is Level.OK, result.detail
    assert check_models(models).status is Status.OK


def test_a_forged_model_fails_its_checksum(models: Path) -> None:
    victim = models / "face_landmark.tflite"
    body = bytearray(victim.read_bytes())
    body[len(body) // 2] ^= 0xFF  # one flipped byte: same size, still loads, wrong model
    victim.write_bytes(bytes(body))
    result = probe_models(models)
    assert result.level is Level.FAIL and result.value.mismatched == ("face_landmark.tflite",)
    assert result.detail == f"{victim} does not match its checksum in SHA256SUMS"
    check = check_models(models)
    assert check.status is Status.FAIL and check.detail == result.detail and "reinstall" in check.hint


def test_a_forged_checksum_line_fails_too(models: Path) -> None:
    sums = models / "SHA256SUMS"
    forged = hashlib.sha256(b"some other model").hexdigest()
    lines = [
        f"{forged}  iris_landmark.tflite" if line.endswith("iris_landmark.tflite") else line
        for line in sums.read_text().splitlines()
    ]
    sums.write_text("\n".join(lines) + "\n")
    assert probe_models(models).value.mismatched == ("iris_landmark.tflite",)


def test_models_without_checksums_are_a_warning_not_a_failure(models: Path) -> None:
    (models / "SHA256SUMS").unlink()
    result = probe_models(models)
    assert result.level is Level.WARN and result.value.unchecked == MODEL_FILES
    check = check_models(models)
    assert check.status is Status.OK and "checksums not checked" in check.detail


def test_a_missing_model_fails_before_anything_is_hashed(models: Path) -> None:
    (models / "iris_landmark.tflite").unlink()
    result = probe_models(models)
    assert result.level is Level.FAIL and result.value.missing == ("iris_landmark.tflite",)
    assert result.detail == f"{models / 'iris_landmark.tflite'} is missing"


# -- the centre over TLS -----------------------------------------------------------------------------


class _Centre(http.server.BaseHTTPRequestHandler):
    """A centre that answers HEAD with 405 and stores every PUT (201)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:  # noqa: N802 - the name http.server calls
        self.send_response(405)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_PUT(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()


@contextlib.contextmanager
def https_centre(folder: Path) -> Iterator[tuple[str, Path]]:
    """A local HTTPS centre with a self-signed certificate; yields its URL and the CA file that trusts it."""
    ctx, ca_file = self_signed_tls(folder)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Centre)
    server.daemon_threads = True
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/api", ca_file
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_centre_probe_rejects_a_self_signed_certificate_unless_its_ca_is_configured(tmp_path: Path) -> None:
    with https_centre(tmp_path / "tls") as (url, ca_file):
        refused = probe_centre(url, UploadSection(timeout_s=2))
        assert refused.level is Level.FAIL and refused.value.tls_refused
        assert refused.value.http_status is None and "CERTIFICATE_VERIFY_FAILED" in refused.detail
        trusted = probe_centre(url, UploadSection(timeout_s=2, ca_file=str(ca_file)))
        assert trusted.level is Level.OK and trusted.value.http_status == 405
        unchecked = probe_centre(url, UploadSection(timeout_s=2, verify_tls=False))
        assert unchecked.level is Level.OK


def test_centre_probe_ignores_the_system_ca_store_as_the_uploader_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SSL_CERT_FILE feeds OpenSSL's default store, which urllib trusts and requests (certifi) does not:
    the probe must side with the uploader."""
    with https_centre(tmp_path / "tls") as (url, ca_file):
        monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
        assert ssl.create_default_context().cert_store_stats()["x509_ca"] >= 1  # the system store now trusts it
        assert probe_centre(url, UploadSection(timeout_s=2)).level is Level.FAIL


def test_centre_probe_names_a_closed_port_as_a_network_fault(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/api"
    result = probe_centre(url, UploadSection(timeout_s=2))
    assert result.level is Level.FAIL and not result.value.tls_refused
    assert "Connection refused" in result.detail
    config = load_config(None, data_dir=tmp_path / "d")
    check = check_upload(replace(config, upload=replace(config.upload, target=url)))
    assert check.status is Status.FAIL and "network cable" in check.hint


def test_centre_probe_refuses_what_the_uploader_refuses(tmp_path: Path) -> None:
    asked: list[str] = []

    def head(url: str, timeout_s: float, upload: UploadSection) -> int:
        asked.append(url)
        return 200

    plain = probe_centre("http://192.0.2.10/api", UploadSection(), head=head)
    assert plain.level is Level.FAIL and plain.value.refused_by_config
    assert "only allowed to this machine" in plain.detail
    no_ca = probe_centre("https://127.0.0.1:1/api", UploadSection(ca_file=str(tmp_path / "missing.pem")))
    assert no_ca.level is Level.FAIL and no_ca.value.refused_by_config and "upload.ca_file" in no_ca.detail
    assert asked == []  # nothing was sent


def test_centre_probe_caps_its_wait_by_the_uploaders_timeout() -> None:
    waits: list[float] = []

    def head(url: str, timeout_s: float, upload: UploadSection) -> int:
        waits.append(timeout_s)
        return 200

    probe_centre("https://centre.example/api", UploadSection(timeout_s=0.5), 5.0, head)
    probe_centre("https://centre.example/api", UploadSection(timeout_s=30), 5.0, head)
    assert waits == [0.5, 5.0]


@pytest.mark.parametrize("trust", ["nothing", "ca_file", "system_store", "verify_off"])
def test_selftest_and_uploader_agree_on_a_self_signed_centre(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trust: str
) -> None:
    with https_centre(tmp_path / "tls") as (url, ca_file):
        upload = UploadSection(target=url, token="tok", timeout_s=2)
        if trust == "ca_file":
            upload = replace(upload, ca_file=str(ca_file))
        elif trust == "verify_off":
            upload = replace(upload, verify_tls=False)
        elif trust == "system_store":
            monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
        config = replace(load_config(None, data_dir=tmp_path / "data"), upload=upload)
        assert config.upload_target == url
        selftest = check_upload(config)
        target = make_target(url, upload)
        item = UploadItem("c-1", "booth-01", "2026-06-01", hashlib.sha256(b"x").hexdigest(), 1)
        outcome = target.put(item, b"x")
        target.close()
        expect_trusted = trust in ("ca_file", "verify_off")
        assert (selftest.status is Status.OK) == expect_trusted, selftest.detail
        assert (outcome.action is Action.DONE) == expect_trusted, outcome.detail
        if not expect_trusted:
            assert "not trusted" in outcome.detail and "upload.ca_file" in selftest.hint
