"""Optional printing of the sheet through CUPS (``lp -d PRINTER FILE``); off unless a printer is named.

The booth never needs a printer to do its main job, so a missing ``lp`` or a refused job is reported as
one clear ``PrintError`` rather than stopping anything else.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path


class PrintError(Exception):
    """The sheet could not be handed to the printer."""


def send_to_printer(
    path: Path, printer: str, options: Sequence[str] = (), lp: str = "lp", timeout_s: float = 30
) -> str:
    """Queue ``path`` on ``printer``; returns the CUPS job id (or lp's own words when it gives none).

    ``options`` are passed as ``-o`` values, e.g. ``("media=4x6", "fit-to-page")``.
    """
    if not printer:
        raise PrintError("no printer named")
    exe = shutil.which(lp)
    if exe is None:
        raise PrintError(f"the {lp!r} command is not installed (install the CUPS client, e.g. cups-client)")
    if not Path(path).is_file():
        raise PrintError(f"nothing to print: {path} does not exist")
    cmd = [exe, "-d", printer]
    for option in options:
        cmd += ["-o", option]
    cmd.append(str(path))
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise PrintError(f"lp did not answer within {timeout_s:g} s") from None
    except OSError as exc:
        raise PrintError(f"could not run lp: {exc}") from None
    if done.returncode != 0:
        reason = (done.stderr or done.stdout).strip().splitlines()
        raise PrintError(f"lp refused the job: {reason[-1] if reason else f'exit status {done.returncode}'}")
    match = re.search(r"request id is (\S+)", done.stdout)
    return match.group(1) if match else done.stdout.strip()
