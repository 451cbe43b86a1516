"""The keyring: AES-256 keys by key id, kept in a small TOML file only the kiosk's user can read.

Loading fails with one line that names the file and what is wrong, so a technician can fix it at the
booth; the keys themselves never appear in a message or a ``repr``.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from kiosk.codes.errors import CodeConfigError
from kiosk.core.files import atomic_write

log = logging.getLogger(__name__)

KEY_BYTES = 32
KID_RE = re.compile(r"[A-Za-z0-9_-]{1,16}")


class KeyringError(CodeConfigError):
    """The keyring file is missing, unreadable or badly formed."""


def valid_kid(kid: str) -> bool:
    return isinstance(kid, str) and KID_RE.fullmatch(kid) is not None


@dataclass(frozen=True, eq=False)
class Keyring:
    """Keys by key id. ``keys`` is read-only; build a new keyring to change it."""

    keys: Mapping[str, bytes] = field(repr=False)
    path: Path | None = None

    def __post_init__(self) -> None:
        for kid, key in self.keys.items():
            if not valid_kid(kid):
                raise KeyringError(f"key id {kid!r}: expected 1 to 16 characters of A-Z a-z 0-9 _ -")
            if not isinstance(key, bytes) or len(key) != KEY_BYTES:
                raise KeyringError(f"key {kid!r}: expected {KEY_BYTES} bytes")
        object.__setattr__(self, "keys", MappingProxyType(dict(self.keys)))

    def __contains__(self, kid: object) -> bool:
        return kid in self.keys

    def get(self, kid: str) -> bytes | None:
        return self.keys.get(kid)

    @property
    def kids(self) -> tuple[str, ...]:
        return tuple(self.keys)

    @classmethod
    def load(cls, path: Path | str) -> Keyring:
        """Read ``path``; raise ``KeyringError`` with one line when it cannot serve."""
        path = Path(path).expanduser()
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise KeyringError(f"{path}: no keyring here (create one with: kiosk codes keygen --out {path})") from None
        except IsADirectoryError:
            raise KeyringError(f"{path}: is a folder, expected a keyring file") from None
        except OSError as exc:
            raise KeyringError(f"{path}: cannot read keyring ({exc.strerror or exc})") from None
        try:
            doc = tomllib.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise KeyringError(f"{path}: not a valid TOML keyring ({exc})") from None
        table = doc.get("keys")
        if not isinstance(table, dict) or not table:
            raise KeyringError(f'{path}: expected a [keys] table with at least one entry, kid = "<base64>"')
        keys: dict[str, bytes] = {}
        for kid, value in table.items():
            if not valid_kid(kid):
                raise KeyringError(f"{path}: key id {kid!r}: expected 1 to 16 characters of A-Z a-z 0-9 _ -")
            keys[kid] = _decode_key(value, f"{path}: keys.{kid}")
        _warn_if_shared(path)
        return cls(keys, path)

    @classmethod
    def generate(cls, path: Path | str, kid: str, *, overwrite: bool = False) -> Keyring:
        """Write a new keyring with one random key under ``kid``, atomically and with mode 0600."""
        path = Path(path).expanduser()
        if not valid_kid(kid):
            raise KeyringError(f"key id {kid!r}: expected 1 to 16 characters of A-Z a-z 0-9 _ -")
        if path.exists() and not overwrite:
            raise KeyringError(f"{path}: a file is already there; a keyring is never overwritten by default")
        key = os.urandom(KEY_BYTES)
        text = f'[keys]\n{kid} = "{base64.b64encode(key).decode("ascii")}"\n'
        try:
            atomic_write(path, text.encode("ascii"), mode=0o600)
            os.chmod(path, 0o600)
        except OSError as exc:
            raise KeyringError(f"{path}: cannot write keyring ({exc.strerror or exc})") from None
        return cls({kid: key}, path)


def _decode_key(value: object, where: str) -> bytes:
    if not isinstance(value, str):
        raise KeyringError(f"{where}: expected a base64 string")
    try:
        key = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyringError(f"{where}: not valid base64") from None
    if len(key) != KEY_BYTES:
        raise KeyringError(f"{where}: expected {KEY_BYTES} bytes of key, got {len(key)}")
    return key


def _warn_if_shared(path: Path) -> None:
    """The keyring should be private; say so once at load rather than refuse (it may sit on a FAT stick)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("%s: keyring is readable by other users (chmod 600 it)", path)
