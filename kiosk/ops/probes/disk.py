"""Room for the data folder: free space against the watermark below which the booth pauses.

Measured on the file system the data folder lives on; when the folder does not exist yet (a fresh
install), on its nearest existing parent, which is where it will be made.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.ops.probes.result import Level, ProbeResult

MB = 1024 * 1024


@dataclass(frozen=True)
class DiskSpace:
    path: Path  # the data folder asked about
    measured: Path  # the folder measured: the data folder or its nearest existing parent
    free_bytes: int
    total_bytes: int | None
    min_free_mb: int

    @property
    def free_mb(self) -> float:
        return self.free_bytes / MB

    @property
    def total_mb(self) -> float | None:
        return None if self.total_bytes is None else self.total_bytes / MB


def existing_folder(path: Path) -> Path:
    """``path`` itself, or its nearest parent that exists."""
    folder = path
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def probe_disk_free(
    data_dir: Path, min_free_mb: int, disk_usage: Callable[[Path], Any] = shutil.disk_usage
) -> ProbeResult[DiskSpace | None]:
    """Fails below ``min_free_mb`` free, and when the space cannot be measured at all."""
    folder = existing_folder(data_dir)
    try:
        usage = disk_usage(folder)
    except OSError as exc:
        return ProbeResult(Level.FAIL, f"free space for {data_dir} cannot be measured: {exc}", None)
    total = getattr(usage, "total", None)
    space = DiskSpace(data_dir, folder, int(usage.free), None if total is None else int(total), min_free_mb)
    detail = f"{int(space.free_bytes // MB)} MB free for {data_dir} (the booth pauses below {min_free_mb} MB)"
    level = Level.OK if space.free_bytes >= min_free_mb * MB else Level.FAIL
    return ProbeResult(level, detail, space)


def probe_writable(data_dir: Path, access: Callable[[Path], bool] | None = None) -> ProbeResult[bool]:
    """Whether this user may make files in the data folder (or where it will be made)."""
    folder = existing_folder(data_dir)
    allowed = (access or (lambda p: os.access(p, os.W_OK | os.X_OK)))(folder)
    if allowed:
        return ProbeResult(Level.OK, f"{folder} is writable", True)
    return ProbeResult(Level.FAIL, f"{folder} is not writable for this user", False)
