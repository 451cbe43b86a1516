"""Running a system command for a probe: its output, or None when it cannot answer."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Sequence

# A runner takes argv and gives the command's stripped stdout, or None; tests hand in their own.
Runner = Callable[[Sequence[str]], str | None]


def run_command(argv: Sequence[str], timeout_s: float = 2.0) -> str | None:
    """The command's stdout, or None when it is not installed, fails, hangs or prints nothing."""
    if shutil.which(argv[0]) is None:
        return None
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout_s, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None
