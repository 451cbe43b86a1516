"""Delivery into a folder (``dir:///path``), e.g. a USB stick carried to the centre or a synced share.

The write is atomic (temp, fsync, rename), so a stick pulled out mid-copy holds no half envelope. A file
already there with the same bytes counts as delivered; different bytes under the same name are a
conflict for staff, exactly as the HTTP 409 is.
"""

from __future__ import annotations

import errno
import hashlib
from pathlib import Path

from kiosk.core.files import atomic_write
from kiosk.storage.sealing import SUFFIX
from kiosk.upload.outcome import Action, Outcome, UploadItem


class DirTarget:
    def __init__(self, folder: Path, *, create: bool = False) -> None:
        self.folder = Path(folder)
        self.description = f"dir://{self.folder}"
        if create:
            self.folder.mkdir(parents=True, exist_ok=True)

    def put(self, item: UploadItem, body: bytes) -> Outcome:
        if not self.folder.is_dir():
            return Outcome(Action.RETRY_SLOW, f"folder {self.folder} is missing (is the USB stick mounted?)")
        dest = self.folder / f"{item.capture_id}{SUFFIX}"
        try:
            if dest.exists():
                if hashlib.sha256(dest.read_bytes()).hexdigest() == item.sha256:
                    return Outcome(Action.DONE, "already in the folder")
                return Outcome(Action.QUARANTINE, "a different envelope with this id is already in the folder")
            atomic_write(dest, body, mode=0o644)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                return Outcome(Action.RETRY, f"folder {self.folder} is full")
            if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                return Outcome(Action.RETRY_SLOW, f"cannot write to {self.folder} ({exc.strerror})")
            return Outcome(Action.RETRY, f"writing to {self.folder} failed ({exc.strerror})")
        return Outcome(Action.DONE, "written to the folder")

    def close(self) -> None:
        pass
