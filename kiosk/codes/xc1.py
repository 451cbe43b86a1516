"""The XC1 capture-code format: issue a code, and decode one into a masked ``Subject``.

Text: ``XC1:<kid>:<base64url(nonce || ciphertext || tag)>``, AES-256-GCM, associated data ``XC1:<kid>``,
at most 512 characters; the plaintext is a compact UTF-8 JSON object (see the capture-code design note).
The decoder checks the cheap things first (prefix, length, key id) so a junk QR costs next to nothing,
and every failure is a ``CodeError`` carrying one outcome of the table, never any other exception.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from dataclasses import dataclass
from typing import Any, ClassVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kiosk.codes.keyring import Keyring, valid_kid
from kiosk.codes.outcomes import (
    DAMAGED,
    EXPIRED,
    MALFORMED,
    NOT_A_CAPTURE_CODE,
    NOT_YET_VALID,
    TAMPERED,
    UNKNOWN_KEY,
    CodeError,
)
from kiosk.codes.subject import Subject, mask_idn, mask_name

PREFIX = "XC1:"
VERSION = 1
MAX_TEXT = 512
DEFAULT_MAX_AGE_S = 30 * 86400.0  # codes.max_code_age_days
NONCE_BYTES = 12
TAG_BYTES = 16
UID_RE = re.compile(r"[A-Za-z0-9]{1,40}")
B64URL_RE = re.compile(r"[A-Za-z0-9_-]+")
# field -> (lowest, highest) length in characters, for the masked display strings
TEXT_FIELDS: dict[str, tuple[int, int]] = {"name": (1, 32), "idn": (1, 32), "school": (1, 64), "level": (1, 16)}


def issue_code(
    keyring: Keyring,
    kid: str,
    uid: str,
    name: str,
    idn: str,
    school: str,
    level: str,
    iat: int,
    exp: int | None = None,
) -> str:
    """Encrypt one student's masked record into XC1 text; raise ``ValueError`` for input a kiosk would refuse.

    A plain ``name``/``idn`` (one without ``*``) is masked here, so no code ever carries a plain identity.
    """
    key = keyring.get(kid)
    if key is None:
        raise ValueError(f"key id {kid!r} is not in the keyring")
    payload: dict[str, Any] = {
        "v": VERSION,
        "uid": uid,
        "name": mask_name(name),
        "idn": mask_idn(idn),
        "school": school,
        "level": level,
        "iat": iat,
    }
    if exp is not None:
        payload["exp"] = exp
    problem = _field_problem(payload)
    if problem:
        raise ValueError(problem)
    plaintext = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext, _aad(kid))
    text = f"{PREFIX}{kid}:{_b64url(nonce + sealed)}"
    if len(text) > MAX_TEXT:
        raise ValueError(f"code would be {len(text)} characters, more than {MAX_TEXT}; shorten school or name")
    return text


@dataclass(frozen=True)
class XC1Decoder:
    """Decodes XC1 texts with the keys of ``keyring``; ``max_clock_skew_s`` tolerates a slow kiosk clock.

    A code dies at its ``exp``, or, without one, ``max_age_s`` after its ``iat``: a code never lives for ever.
    """

    keyring: Keyring
    max_clock_skew_s: float = 600
    max_age_s: float = DEFAULT_MAX_AGE_S
    prefix: ClassVar[str] = PREFIX

    def decode(self, text: str, now: float) -> Subject:
        if not isinstance(text, str) or not text.startswith(PREFIX):
            raise CodeError(NOT_A_CAPTURE_CODE)
        if len(text) > MAX_TEXT:
            raise CodeError(DAMAGED, f"text is {len(text)} characters, limit {MAX_TEXT}")
        kid, sep, data = text[len(PREFIX) :].partition(":")
        if not sep or not valid_kid(kid):
            raise CodeError(DAMAGED, "no valid key id")
        key = self.keyring.get(kid)
        if key is None:
            raise CodeError(UNKNOWN_KEY, f"key id {kid!r} not in keyring")
        blob = _unb64url(data)
        if len(blob) < NONCE_BYTES + TAG_BYTES:
            raise CodeError(DAMAGED, f"{len(blob)} bytes, too short")
        nonce, sealed = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
        try:
            plaintext = AESGCM(key).decrypt(nonce, sealed, _aad(kid))
        except InvalidTag:
            raise CodeError(TAMPERED, "authentication tag does not verify") from None
        payload = _parse(plaintext)
        problem = _field_problem(payload)
        if problem:
            raise CodeError(MALFORMED, problem)
        if payload["iat"] > now + self.max_clock_skew_s:
            raise CodeError(NOT_YET_VALID, "issued in the future; kiosk clock may be wrong")
        exp = payload.get("exp")
        if exp is not None and exp <= now:
            raise CodeError(EXPIRED)
        if exp is None and payload["iat"] + self.max_age_s <= now:
            raise CodeError(EXPIRED, "older than the maximum code age")
        return Subject(
            uid=payload["uid"],
            name=mask_name(payload["name"]),
            idn=mask_idn(payload["idn"]),
            school=payload["school"],
            level=payload["level"],
        )


def _aad(kid: str) -> bytes:
    return f"{PREFIX}{kid}".encode("ascii")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(data: str) -> bytes:
    """Strict base64url without padding: only the alphabet, and only the canonical spelling of the bytes."""
    if not B64URL_RE.fullmatch(data) or len(data) % 4 == 1:
        raise CodeError(DAMAGED, "not base64url")
    try:
        blob = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        raise CodeError(DAMAGED, "not base64url") from None
    if _b64url(blob) != data:
        raise CodeError(DAMAGED, "not canonical base64url")
    return blob


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _parse(plaintext: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(plaintext.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise CodeError(MALFORMED, "plaintext is not UTF-8 JSON") from None
    if not isinstance(payload, dict):
        raise CodeError(MALFORMED, "plaintext is not a JSON object")
    return payload


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _field_problem(payload: dict[str, Any]) -> str:
    """The first rule ``payload`` breaks, named by field (never quoting its value), or '' when valid."""
    if not _is_int(payload.get("v")) or payload["v"] != VERSION:
        return f"v: expected {VERSION}"
    uid = payload.get("uid")
    if not isinstance(uid, str) or UID_RE.fullmatch(uid) is None:
        return "uid: expected 1 to 40 characters of A-Z a-z 0-9"
    for name, (lo, hi) in TEXT_FIELDS.items():
        value = payload.get(name)
        if not isinstance(value, str) or not lo <= len(value) <= hi:
            return f"{name}: expected a string of {lo} to {hi} characters"
    if not _is_int(payload.get("iat")):
        return "iat: expected an integer"
    if "exp" in payload and not _is_int(payload["exp"]):
        return "exp: expected an integer"
    return ""
