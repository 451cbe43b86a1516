"""Space held back on the data folder's disk, so the booth can still save a student's verdict and photo.

The booth stops taking new students below ``upload.min_free_mb``, but something else (logs, a technician's
``queue add``, another program) can still fill the disk while a student is at the booth. A file of
``upload.reserve_mb`` is allocated in the data folder when there is room; when a write the booth cannot
do without fails, the file is deleted and the write tried once more. The file is made again once free
space is back above the watermark.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

MB = 1024 * 1024
RESERVE_NAME = "disk-reserve.bin"


class DiskReserve:
    """One preallocated file; ``release`` frees it at once, ``ensure`` makes it when there is room."""

    def __init__(self, folder: Path, size_mb: int) -> None:
        self.path = Path(folder) / RESERVE_NAME
        self.size = max(0, int(size_mb)) * MB

    def held(self) -> bool:
        try:
            return self.path.stat().st_size >= self.size > 0
        except FileNotFoundError:
            return False

    def ensure(self, keep_free_bytes: int = 0) -> bool:
        """Allocate the reserve if it is missing and the disk keeps ``keep_free_bytes`` afterwards."""
        if self.size == 0 or self.held():
            return self.size > 0
        try:
            if shutil.disk_usage(self.path.parent).free < self.size + keep_free_bytes:
                return False
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                try:
                    os.posix_fallocate(fd, 0, self.size)
                except OSError as exc:  # a filesystem without fallocate: write the blocks instead
                    if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL):
                        raise
                    chunk = b"\0" * MB
                    for _ in range(self.size // MB):
                        os.write(fd, chunk)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            with contextlib.suppress(OSError):
                self.path.unlink()
            log.warning("could not set aside %d MB of disk reserve: %s", self.size // MB, exc.strerror or exc)
            return False
        log.info("disk reserve of %d MB in place", self.size // MB)
        return True

    def release(self) -> bool:
        """Give the reserved space back to the filesystem; True if there was any to give."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        log.warning("disk full: released the %d MB reserve to finish saving", self.size // MB)
        return True
