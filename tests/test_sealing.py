"""The envelope: opens only with the centre's key, header bound to the payload, nothing readable in clear."""

from __future__ import annotations

import io
import json
import stat
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kiosk.cli import main
from kiosk.storage.sealing import (
    INFO_PREFIX,
    MAGIC,
    EnvelopeError,
    EnvelopeHeader,
    KeyFileError,
    _suite,
    load_private_key,
    load_public_key,
    open_envelope,
    parse_header,
    seal_capture,
)
from tests.helpers.upload import Keys, fake_jpeg, make_capture, sealed_bomb


def test_round_trip_keeps_everything(keys: Keys) -> None:
    capture = make_capture(original=fake_jpeg(5000, seed=2))
    data = seal_capture(capture, keys.public, include_original=True)
    opened = open_envelope(data, keys.private)
    assert opened.header == EnvelopeHeader(capture.capture_id, "booth-01")
    assert opened.photo_jpeg == capture.photo_jpeg
    assert opened.original_jpeg == capture.original_jpeg
    meta = opened.meta
    assert meta["capture_id"] == capture.capture_id
    assert meta["subject"] == {
        "uid": "U-12345",
        "name": "张**",
        "idn": "*****8746",
        "school": "北京大学",
        "level": "本科",
    }
    assert meta["taken_at"] == "2026-06-01T09:30:00+08:00"
    assert meta["profile"] == "chsi" and meta["attempt"] == 1
    assert meta["report"]["checks"]["blur"]["pass"] is True
    assert set(meta["images"]) == {"photo.jpg", "original.jpg"}


def test_original_left_out_unless_asked(keys: Keys) -> None:
    capture = make_capture(original=fake_jpeg(5000, seed=2))
    opened = open_envelope(seal_capture(capture, keys.public), keys.private)
    assert opened.original_jpeg is None
    assert list(opened.meta["images"]) == ["photo.jpg"]


def test_nothing_readable_in_clear(keys: Keys) -> None:
    capture = make_capture()
    data = seal_capture(capture, keys.public)
    for secret in ("U-12345", "张**", "8746", "北京大学", "meta.json", "photo.jpg"):
        assert secret.encode() not in data
    assert capture.photo_jpeg[:64] not in data
    header, pos = parse_header(data)
    assert data.startswith(MAGIC) and header.capture_id == capture.capture_id and header.kiosk_id == "booth-01"
    assert pos < 60


def test_sealing_twice_gives_different_bytes(keys: Keys) -> None:
    capture = make_capture()
    assert seal_capture(capture, keys.public) != seal_capture(capture, keys.public)


def test_suite_and_info_are_the_documented_ones(keys: Keys) -> None:
    """HPKE base mode, X25519/HKDF-SHA256/AES-256-GCM, info = format+version+header: decrypt by hand."""
    from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

    capture = make_capture()
    data = seal_capture(capture, keys.public)
    _, pos = parse_header(data)
    assert INFO_PREFIX == b"kiosk-capture-envelope v1\x00"
    plain = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_256_GCM).decrypt(
        data[pos:], keys.private, info=INFO_PREFIX + data[:pos]
    )
    with zipfile.ZipFile(io.BytesIO(plain)) as zf:
        assert zf.namelist() == ["meta.json", "photo.jpg"]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
        assert json.loads(zf.read("meta.json"))["capture_id"] == capture.capture_id


def test_tampered_header_does_not_open(keys: Keys) -> None:
    data = seal_capture(make_capture(), keys.public)
    forged = data.replace(b"booth-01", b"booth-02", 1)
    assert parse_header(forged)[0].kiosk_id == "booth-02"
    with pytest.raises(EnvelopeError):
        open_envelope(forged, keys.private)


@pytest.mark.parametrize("where", ["payload", "tag", "truncated"])
def test_damaged_payload_does_not_open(keys: Keys, where: str) -> None:
    data = bytearray(seal_capture(make_capture(), keys.public))
    if where == "payload":
        data[80] ^= 1
    elif where == "tag":
        data[-1] ^= 1
    else:
        data = data[:-10]
    with pytest.raises(EnvelopeError):
        open_envelope(bytes(data), keys.private)


def test_other_key_does_not_open(keys: Keys) -> None:
    data = seal_capture(make_capture(), keys.public)
    with pytest.raises(EnvelopeError):
        open_envelope(data, X25519PrivateKey.generate())


@pytest.mark.parametrize(
    "blob",
    [b"", b"JUNK" + b"\x01" * 100, MAGIC + b"\x02" + b"\x00" * 100, MAGIC + b"\x01\x24" + b"a" * 10, MAGIC + b"\x01"],
)
def test_bad_headers_are_refused(blob: bytes) -> None:
    with pytest.raises(EnvelopeError):
        parse_header(blob)


def test_header_must_hold_a_uuid(keys: Keys) -> None:
    bad = EnvelopeHeader("not-a-uuid", "booth-01").encode() + b"\x00" * 64
    with pytest.raises(EnvelopeError, match="capture id"):
        parse_header(bad)


def test_sealed_image_hashes_are_checked(keys: Keys) -> None:
    """A payload whose meta.json disagrees with the photo is refused even though it decrypts."""
    from kiosk.storage.sealing import _container

    capture = make_capture()
    header = EnvelopeHeader(capture.capture_id, capture.kiosk_id).encode()
    meta = {"capture_id": capture.capture_id, "kiosk_id": "booth-01", "images": {"photo.jpg": {"sha256": "0" * 64}}}
    plain = _container(meta, {"photo.jpg": capture.photo_jpeg})
    data = header + _suite().encrypt(plain, keys.public, info=INFO_PREFIX + header)
    with pytest.raises(EnvelopeError, match="sha256"):
        open_envelope(data, keys.private)


def test_keygen_and_unseal_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "centre"
    assert main(["keys", "centre-keygen", "--out", str(out)]) == 0
    assert stat.S_IMODE((out / "centre.key").stat().st_mode) == 0o600
    public = load_public_key(out / "centre.pub")
    load_private_key(out / "centre.key")
    assert main(["keys", "centre-keygen", "--out", str(out)]) == 2  # refuses to overwrite
    assert "already holds" in capsys.readouterr().err

    capture = make_capture(original=fake_jpeg(300, seed=5))
    env = tmp_path / f"{capture.capture_id}.xce"
    env.write_bytes(seal_capture(capture, public, include_original=True))
    assert main(["unseal", "--key", str(out / "centre.key"), str(env), "--out", str(tmp_path / "open")]) == 0
    folder = tmp_path / "open" / capture.capture_id
    assert (folder / "photo.jpg").read_bytes() == capture.photo_jpeg
    assert (folder / "original.jpg").read_bytes() == capture.original_jpeg
    assert json.loads((folder / "meta.json").read_text())["subject"]["name"] == "张**"


def test_unseal_errors_are_one_line(tmp_path: Path, keys: Keys, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.xce"
    bad.write_bytes(b"JUNK" * 20)
    assert main(["unseal", "--key", str(keys.private_path), str(bad), "--out", str(tmp_path)]) == 2
    assert main(["unseal", "--key", str(tmp_path / "nope.key"), str(bad), "--out", str(tmp_path)]) == 2
    assert main(["unseal", "--key", str(keys.public_path), str(bad), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("kiosk: ") for line in err)
    assert "Traceback" not in "".join(err)


def test_key_loaders_name_the_problem(tmp_path: Path, keys: Keys) -> None:
    with pytest.raises(KeyFileError, match="no such"):
        load_public_key(tmp_path / "missing.pub")
    with pytest.raises(KeyFileError, match="not a PEM public key"):
        load_public_key(keys.private_path)
    with pytest.raises(KeyFileError, match="private key"):
        load_private_key(keys.public_path)


def test_a_sealed_zip_bomb_is_refused_before_it_is_inflated(tmp_path: Path, keys: Keys, capsys) -> None:
    """A small envelope whose meta.json inflates to 40 MB: refused by open_envelope and by ``kiosk unseal``."""
    cid, bomb = sealed_bomb(keys, 40 * 1024 * 1024)
    assert len(bomb) < 200 * 1024
    with pytest.raises(EnvelopeError, match="compressed"):
        open_envelope(bomb, keys.private)
    env = tmp_path / f"{cid}.xce"
    env.write_bytes(bomb)
    assert main(["unseal", "--key", str(keys.private_path), str(env), "--out", str(tmp_path / "open")]) == 2
    err = capsys.readouterr().err
    assert "refused" in err and err.count("\n") == 1 and not (tmp_path / "open").exists()


def test_unseal_refuses_a_file_too_large_to_be_an_envelope(tmp_path: Path, keys: Keys, capsys) -> None:
    from kiosk.storage.sealing import MAX_ENVELOPE_BYTES

    big = tmp_path / "big.xce"
    with open(big, "wb") as fh:
        fh.truncate(MAX_ENVELOPE_BYTES + 1)  # sparse: costs no disk
    assert main(["unseal", "--key", str(keys.private_path), str(big), "--out", str(tmp_path / "open")]) == 2
    assert "larger than 64 MB" in capsys.readouterr().err
