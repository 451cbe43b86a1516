"""Optional printing of the sheet through CUPS (``lp -d PRINTER FILE``); off unless a printer is named.

The booth never needs a printer to do its main job, so a missing ``lp`` or a refused job is reported as
one clear ``PrintError`` rather than stopping anything else.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np


class PrintError(Exception):
    """The sheet could not be handed to the printer."""


def send_to_printer(
    path: Path, printer: str, options: Sequence[str] = (), lp: str = "lp", timeout_s: float = 30
) -> str:
    """Queue ``path`` on ``printer``; returns the CUPS job id (or lp's own words when it gives none).

    ``options`` are passed as ``-o`` values, e.g. ``("media=4x6", "fit-to-page")``.
    """
    exe = _lp_command(printer, lp)
    if not Path(path).is_file():
        raise PrintError(f"nothing to print: {path} does not exist")
    return _run_lp([exe, "-d", printer, *_option_args(options), str(path)], None, timeout_s)


def print_data(
    data: bytes, printer: str, options: Sequence[str] = (), title: str = "photo", lp: str = "lp", timeout_s: float = 30
) -> str:
    """Queue ``data`` (a PDF, say) on ``printer`` through lp's standard input, so no copy of a student's
    photo is left in a file of ours; returns the CUPS job id."""
    exe = _lp_command(printer, lp)
    return _run_lp([exe, "-d", printer, "-t", title, *_option_args(options), "-"], data, timeout_s)


def _lp_command(printer: str, lp: str) -> str:
    """The lp program to run, or a PrintError saying why there is none to run."""
    if not printer:
        raise PrintError("no printer named")
    exe = shutil.which(lp)
    if exe is None:
        raise PrintError(f"the {lp!r} command is not installed (install the CUPS client, e.g. cups-client)")
    return exe


def _option_args(options: Sequence[str]) -> list[str]:
    return [arg for option in options for arg in ("-o", option)]


def _run_lp(cmd: list[str], data: bytes | None, timeout_s: float) -> str:
    """Run lp (feeding ``data`` on standard input when given); the job id, or one PrintError."""
    try:
        done = subprocess.run(cmd, input=data, capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise PrintError(f"lp did not answer within {timeout_s:g} s") from None
    except OSError as exc:
        raise PrintError(f"could not run lp: {exc}") from None
    out, err = done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace")
    if done.returncode != 0:
        reason = (err or out).strip().splitlines()
        raise PrintError(f"lp refused the job: {reason[-1] if reason else f'exit status {done.returncode}'}")
    match = re.search(r"request id is (\S+)", out)
    return match.group(1) if match else out.strip()


@dataclass(frozen=True)
class PrinterState:
    """What staff see of the printer: whether CUPS knows it, what it is doing, and the jobs waiting."""

    printer: str
    known: bool
    state: str  # "idle", "printing", "disabled" or "unknown"
    jobs: int
    detail: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def printer_state(printer: str, lpstat: str = "lpstat", timeout_s: float = 5) -> PrinterState:
    """``lpstat -p PRINTER`` and ``lpstat -o PRINTER`` read into a PrinterState (never raises)."""
    exe = shutil.which(lpstat)
    if not printer or exe is None:
        why = "no printer named" if not printer else f"the {lpstat!r} command is not installed"
        return PrinterState(printer, False, "unknown", 0, why)

    def run(*args: str) -> tuple[int, str]:
        try:
            done = subprocess.run([exe, *args], capture_output=True, text=True, timeout=timeout_s, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            return 1, str(exc)
        return done.returncode, (done.stdout + done.stderr).strip()

    code, text = run("-p", printer)
    if code != 0 or not text.startswith("printer"):
        return PrinterState(printer, False, "unknown", 0, text.splitlines()[-1] if text else "lpstat failed")
    first = text.splitlines()[0]
    state = "disabled" if " disabled" in first else "printing" if "now printing" in first else "idle"
    detail = " ".join(line.strip() for line in text.splitlines()[1:]).strip()
    code, jobs = run("-o", printer)
    count = len([line for line in jobs.splitlines() if line.startswith(f"{printer}-")]) if code == 0 else 0
    return PrinterState(printer, True, state, count, detail)


class CupsSheetPrinter:
    """The booth's printer: the 6-inch sheet (4 x 2-inch and 8 x 1-inch) of an accepted still, as a PDF."""

    def __init__(self, printer: str, options: Sequence[str] = ()) -> None:
        self.printer = printer
        self.options = tuple(options)

    def print_sheet(self, still: np.ndarray, crop: tuple[float, float, float, float]) -> str:
        from kiosk.output.sheet import build_sheet, sheet_pdf

        rect = tuple(int(round(v)) for v in crop)
        sheet = build_sheet(still, rect)  # type: ignore[arg-type]
        return print_data(sheet_pdf(sheet), self.printer, self.options, title="graduation photo sheet")

    def state(self) -> PrinterState:
        return printer_state(self.printer)
