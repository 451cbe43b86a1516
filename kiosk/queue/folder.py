"""The ``outbox/`` folder: one sealed envelope file per queued capture, named by its capture id.

The files are the truth the database points at: the uploader sends their bytes, reconciliation
compares them with the rows, and a damaged database is rebuilt from them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from kiosk.queue.errors import OutboxError
from kiosk.queue.schema import Entry
from kiosk.storage.sealing import SUFFIX, EnvelopeError, parse_header, sha256_hex


class EnvelopeFolder:
    """Where the envelopes live; private to the kiosk's user (0700)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            os.chmod(self.path, 0o700)

    def path_for(self, capture_id: str) -> Path:
        return self.path / f"{capture_id}{SUFFIX}"

    def free_bytes(self) -> int:
        return shutil.disk_usage(self.path).free

    def envelopes(self) -> dict[str, Path]:
        """Every envelope file by its name's capture id (temp files and hidden files left out)."""
        return {
            p.name[: -len(SUFFIX)]: p
            for p in self.path.iterdir()
            if p.name.endswith(SUFFIX) and not p.name.startswith(".")
        }

    def temp_files(self) -> list[Path]:
        """Leftovers of interrupted atomic writes (``.name.tmp``)."""
        return [p for p in self.path.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp")]

    def existing(self, capture_id: str) -> bytes | None:
        """The complete envelope of ``capture_id`` if one is on disk (written before a crash), else None."""
        try:
            data = self.path_for(capture_id).read_bytes()
        except FileNotFoundError:
            return None
        try:
            header, _ = parse_header(data)
        except EnvelopeError:
            return None
        return data if header.capture_id == capture_id else None

    def read_checked(self, entry: Entry) -> bytes:
        """The envelope's bytes, checked against the sha256 recorded when it was queued."""
        try:
            data = self.path_for(entry.capture_id).read_bytes()
        except FileNotFoundError:
            raise OutboxError("envelope file is missing from the outbox") from None
        if sha256_hex(data) != entry.sha256:
            raise OutboxError("envelope file changed on disk (sha256 differs from the queued one)")
        return data

    def digest(self, capture_id: str) -> tuple[str, int]:
        """sha256 and size of the file as it is now."""
        data = self.path_for(capture_id).read_bytes()
        return sha256_hex(data), len(data)
