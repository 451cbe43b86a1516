"""The sealed capture envelope (``<capture_id>.xce``): the only form a photo ever takes on the kiosk's disk.

A stolen SD card, a bucket listing or a proxy log must reveal no face and no identity, so every accepted
capture is sealed in memory to the collection centre's public key before anything is written. Only the
centre's private key opens it.

Layout::

    magic  b"XCE1"                         4 bytes
    version                                1 byte (1)
    capture id length, capture id (ASCII)  1 byte + n
    kiosk id length, kiosk id (UTF-8)      1 byte + n
    sealed payload                         HPKE enc (32 bytes) || AES-256-GCM ciphertext and tag

The clear-text header lets a receiver route and deduplicate without the private key. It is bound to the
payload: the HPKE ``info`` is the format name and version followed by the header bytes, so changing one
byte of the header makes the envelope fail to open. (The single-shot HPKE API carries its additional
authenticated data in ``info``, as RFC 9180 section 8.1 advises.)

HPKE suite: base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM.

The payload is a stored (uncompressed: JPEGs do not shrink) zip holding ``meta.json``, ``photo.jpg`` and,
when the config asks for it, ``original.jpg``.
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

from kiosk.codes.subject import enforce_masking
from kiosk.core.capture import AcceptedCapture
from kiosk.core.ziplimits import ZipLimits, ZipTooLarge, check_members

MAGIC = b"XCE1"
VERSION = 1
FORMAT = "kiosk-capture-envelope"
INFO_PREFIX = f"{FORMAT} v{VERSION}".encode("ascii") + b"\x00"
SUFFIX = ".xce"
MAX_HEADER = 4 + 1 + 1 + 255 + 1 + 255
MAX_ENVELOPE_BYTES = 64 * 1024 * 1024  # a 480x640 photo plus a full-resolution original fit many times over
MEMBERS = ("meta.json", "photo.jpg", "original.jpg")
MAX_META_BYTES = 1024 * 1024
# What an opener unpacks: the container is written stored (JPEGs do not shrink), so a deflated part is
# refused outright and no part can be larger than the decrypted payload itself.
CONTAINER_LIMITS = ZipLimits(
    max_members=len(MEMBERS), max_member_bytes=MAX_ENVELOPE_BYTES, max_total_bytes=MAX_ENVELOPE_BYTES,
    max_ratio=1.0, ratio_floor=0, stored_only=True,
)  # fmt: skip
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)  # fixed, so the container says nothing about when it was made


def _suite() -> Suite:
    return Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_256_GCM)


class EnvelopeError(ValueError):
    """An envelope that cannot be parsed or opened: truncated, tampered with, or for another key."""


class KeyFileError(ValueError):
    """A key file that is missing or not an X25519 key in PEM form; one line for the technician."""


@dataclass(frozen=True)
class EnvelopeHeader:
    """The clear-text part: enough to route and deduplicate, nothing about the student."""

    capture_id: str
    kiosk_id: str
    version: int = VERSION

    def encode(self) -> bytes:
        cid = self.capture_id.encode("ascii")
        kid = self.kiosk_id.encode("utf-8")
        if not 0 < len(cid) <= 255 or not 0 < len(kid) <= 255:
            raise EnvelopeError("capture id and kiosk id must be 1 to 255 bytes")
        return MAGIC + bytes([self.version, len(cid)]) + cid + bytes([len(kid)]) + kid


@dataclass(frozen=True)
class OpenedCapture:
    """What the centre gets back from an envelope."""

    header: EnvelopeHeader
    meta: dict[str, Any]
    photo_jpeg: bytes
    original_jpeg: bytes | None


def parse_header(data: bytes) -> tuple[EnvelopeHeader, int]:
    """Read the clear-text header from the start of ``data``; return it and where the sealed part starts."""
    if len(data) < 7 or data[:4] != MAGIC:
        raise EnvelopeError("not a capture envelope (bad magic)")
    version = data[4]
    if version != VERSION:
        raise EnvelopeError(f"unsupported envelope version {version}")
    pos = 5
    n = data[pos]
    cid_raw = data[pos + 1 : pos + 1 + n]
    pos += 1 + n
    if len(cid_raw) != n or pos >= len(data):
        raise EnvelopeError("truncated envelope header")
    m = data[pos]
    kid_raw = data[pos + 1 : pos + 1 + m]
    pos += 1 + m
    if len(kid_raw) != m or m == 0:
        raise EnvelopeError("truncated envelope header")
    try:
        capture_id = cid_raw.decode("ascii")
        kiosk_id = kid_raw.decode("utf-8")
    except UnicodeDecodeError:
        raise EnvelopeError("envelope header is not text") from None
    if not is_capture_id(capture_id):
        raise EnvelopeError("envelope header holds no valid capture id")
    if len(data) - pos < KEM.X25519.enc_length() + 16:
        raise EnvelopeError("truncated envelope (no sealed payload)")
    return EnvelopeHeader(capture_id, kiosk_id, version), pos


def read_envelope_file(path: Path) -> bytes:
    """An envelope file's bytes, refusing one too large to be a capture before reading it."""
    with open(path, "rb") as fh:
        data = fh.read(MAX_ENVELOPE_BYTES + 1)
    if len(data) > MAX_ENVELOPE_BYTES:
        raise EnvelopeError(f"{path}: larger than {MAX_ENVELOPE_BYTES // (1024 * 1024)} MB, not a capture envelope")
    return data


def read_header_file(path: Path) -> EnvelopeHeader:
    """Parse the header of an envelope file without reading the whole file."""
    with open(path, "rb") as fh:
        head = fh.read(MAX_HEADER + 48)
    return parse_header(head)[0]


def is_capture_id(text: str) -> bool:
    """A capture id is a UUID in its canonical text form (it names files, so nothing else is allowed)."""
    try:
        return str(uuid.UUID(text)) == text
    except (ValueError, AttributeError, TypeError):
        return False


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def capture_meta(capture: AcceptedCapture, include_original: bool) -> dict[str, Any]:
    """The ``meta.json`` record: masked identity only, as the booth already holds it."""
    if capture.taken_at.tzinfo is None or capture.taken_at.utcoffset() is None:
        raise ValueError("taken_at must be an aware datetime")
    images: dict[str, dict[str, Any]] = {
        "photo.jpg": {"sha256": sha256_hex(capture.photo_jpeg), "size": len(capture.photo_jpeg)}
    }
    if include_original and capture.original_jpeg is not None:
        images["original.jpg"] = {
            "sha256": sha256_hex(capture.original_jpeg),
            "size": len(capture.original_jpeg),
        }
    return {
        "format": FORMAT,
        "version": VERSION,
        "capture_id": capture.capture_id,
        "kiosk_id": capture.kiosk_id,
        "subject": enforce_masking(capture.subject).to_dict(),  # last line of defence
        "taken_at": capture.taken_at.isoformat(timespec="seconds"),
        "profile": capture.profile,
        "attempt": capture.attempt,
        "report": capture.report,
        "answered": list(capture.answered),
        "images": images,
    }


def _container(meta: dict[str, Any], files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in [("meta.json", json.dumps(meta, ensure_ascii=False, indent=1).encode())] + list(
            files.items()
        ):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o600 << 16
            zf.writestr(info, data)
    return buf.getvalue()


def seal_capture(capture: AcceptedCapture, public_key: X25519PublicKey, include_original: bool = False) -> bytes:
    """Seal ``capture`` to the centre's key; return the whole envelope (header + sealed payload)."""
    if not is_capture_id(capture.capture_id):
        raise ValueError("capture_id must be a UUID in canonical form")
    meta = capture_meta(capture, include_original)
    files = {"photo.jpg": capture.photo_jpeg}
    if "original.jpg" in meta["images"] and capture.original_jpeg is not None:
        files["original.jpg"] = capture.original_jpeg
    header = EnvelopeHeader(capture.capture_id, capture.kiosk_id).encode()
    sealed = _suite().encrypt(_container(meta, files), public_key, info=INFO_PREFIX + header)
    return header + sealed


def open_envelope(data: bytes, private_key: X25519PrivateKey) -> OpenedCapture:
    """Open an envelope with the centre's private key and check everything inside agrees with itself."""
    if len(data) > MAX_ENVELOPE_BYTES:
        raise EnvelopeError(f"envelope larger than {MAX_ENVELOPE_BYTES // (1024 * 1024)} MB")
    header, pos = parse_header(data)
    try:
        plain = _suite().decrypt(data[pos:], private_key, info=INFO_PREFIX + data[:pos])
    except (InvalidTag, ValueError) as exc:
        raise EnvelopeError("envelope does not open with this key (tampered, truncated or for another centre)") from exc
    try:
        with zipfile.ZipFile(io.BytesIO(plain)) as zf:
            _check_container(zf, len(plain))
            meta = json.loads(zf.read("meta.json"))
            photo = zf.read("photo.jpg")
            original = zf.read("original.jpg") if "original.jpg" in zf.namelist() else None
    except EnvelopeError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise EnvelopeError(f"sealed container is malformed ({exc})") from exc
    if not isinstance(meta, dict):
        raise EnvelopeError("sealed container is malformed (meta.json is not an object)")
    if meta.get("capture_id") != header.capture_id or meta.get("kiosk_id") != header.kiosk_id:
        raise EnvelopeError("sealed metadata does not match the envelope header")
    images = meta.get("images", {})
    for name, blob in (("photo.jpg", photo), ("original.jpg", original)):
        if blob is None:
            continue
        if images.get(name, {}).get("sha256") != sha256_hex(blob):
            raise EnvelopeError(f"{name} does not match its sha256 in meta.json")
    return OpenedCapture(header, meta, photo, original)


def _check_container(zf: zipfile.ZipFile, payload_bytes: int) -> None:
    """Refuse a container that could unpack to more than it holds: a validly sealed zip bomb.

    Anyone with the centre's public key can seal, so the container is hostile input like any other.
    """
    members = zf.infolist()
    names = [m.filename for m in members]
    if len(set(names)) != len(names) or not set(names) <= set(MEMBERS):
        raise EnvelopeError("sealed container holds unexpected parts")
    try:
        check_members(members, CONTAINER_LIMITS)
    except ZipTooLarge as exc:
        raise EnvelopeError(f"sealed container refused: {exc}") from None
    for m in members:
        if m.file_size != m.compress_size or m.file_size > payload_bytes:
            raise EnvelopeError(f"sealed container refused: {m.filename} claims more than the envelope holds")
        if m.filename == "meta.json" and m.file_size > MAX_META_BYTES:
            raise EnvelopeError("sealed container refused: meta.json larger than 1 MB")


# --- keys -------------------------------------------------------------------------------------------


def generate_centre_keypair() -> tuple[bytes, bytes]:
    """A new centre key pair as (private PEM, public PEM)."""
    key = X25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


def _read_key_file(path: Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise KeyFileError(f"{path}: no such {what} file") from None
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read {what} ({exc.strerror})") from None


def load_public_key(path: Path) -> X25519PublicKey:
    """Read the centre's public key (PEM, as ``kiosk keys centre-keygen`` writes it)."""
    data = _read_key_file(path, "public key")
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise KeyFileError(f"{path}: not a PEM public key") from None
    if not isinstance(key, X25519PublicKey):
        raise KeyFileError(f"{path}: not an X25519 public key")
    return key


def load_private_key(path: Path) -> X25519PrivateKey:
    """Read the centre's private key (PEM PKCS#8, unencrypted; protect it with file permissions)."""
    data = _read_key_file(path, "private key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise KeyFileError(f"{path}: not an unencrypted PEM private key") from None
    if not isinstance(key, X25519PrivateKey):
        raise KeyFileError(f"{path}: not an X25519 private key")
    return key
