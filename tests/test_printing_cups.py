"""Printing the 6-inch sheet through a real CUPS scheduler: a private cupsd (Debian's ``cups``, installed by
bootstrap --test) with a file printer whose backend writes each job to a folder, so the tests read what a
printer would have been sent. The booth offers the sheet on the done screen; staff see the queue."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from kiosk.booth import CodeSeen, Touch
from kiosk.booth import messages as msg
from kiosk.output.printing import CupsSheetPrinter, PrintError, print_data, printer_state
from kiosk.vision.report import CheckResult, FaceGeometry, Message, Report
from tests.helpers.booth_rig import Rig
from tests.helpers.printpdf import read_print_pdf

CUPSD = Path("/usr/sbin/cupsd")
PRINTER = "kiosk-file"
BACKEND = """#!/bin/sh
# A file printer for tests: each job is written to the folder named in the device URI (tofile:/dir).
if [ "$#" -eq 0 ]; then echo 'file tofile "Unknown" "Test file printer"'; exit 0; fi
dir="${DEVICE_URI#tofile:}"
if [ -n "$6" ]; then cat "$6"; else cat; fi > "$dir/job-$1.out"
"""


def _need(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture(scope="module")
def cups():
    """A private CUPS scheduler on a Unix socket, with one file printer; yields the folder jobs land in."""
    if not CUPSD.exists() or shutil.which("lpadmin") is None:
        _need("CUPS is not installed: run scripts/bootstrap.sh --test (Debian packages cups, cups-client)")
    if os.geteuid() != 0:
        pytest.skip("a private cupsd needs root (it drops to the lp user itself)")
    root = Path(tempfile.mkdtemp(prefix="kiosk-cups-"))
    root.chmod(0o755)  # cupsd runs jobs as lp, which must reach the backend and the output folder
    for sub in ("spool", "cache", "state", "log", "tmp", "out", "bin/backend"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for sub in ("cache", "tmp", "out"):
        shutil.chown(root / sub, "lp", "lp")
    for tool in Path("/usr/lib/cups").iterdir():
        if tool.name != "backend":
            (root / "bin" / tool.name).symlink_to(tool)
    backend = root / "bin" / "backend" / "tofile"
    backend.write_text(BACKEND)
    backend.chmod(0o755)
    sock = root / "cups.sock"
    (root / "cupsd.conf").write_text(
        f"Listen {sock}\nLogLevel warn\nWebInterface No\nBrowsing No\nDefaultAuthType None\n"
        "<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
        "<Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n"
    )
    (root / "cups-files.conf").write_text(
        f"ServerRoot {root}\nServerBin {root}/bin\nRequestRoot {root}/spool\nCacheDir {root}/cache\n"
        f"StateDir {root}/state\nTempDir {root}/tmp\nErrorLog {root}/log/error_log\nAccessLog {root}/log/access_log\n"
        f"PageLog {root}/log/page_log\nUser lp\nGroup lp\nSystemGroup root\nSandboxing Relaxed\n"
    )
    proc = subprocess.Popen(
        [str(CUPSD), "-f", "-c", str(root / "cupsd.conf"), "-s", str(root / "cups-files.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env = {**os.environ, "CUPS_SERVER": str(sock)}
    try:
        deadline = time.monotonic() + 15
        while not sock.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        if not sock.exists():
            pytest.fail(f"cupsd did not start: {(root / 'log' / 'error_log').read_text(errors='replace')[-500:]}")
        subprocess.run(
            ["lpadmin", "-p", PRINTER, "-E", "-v", f"tofile:{root / 'out'}"], env=env, check=True, timeout=30
        )
        old = os.environ.get("CUPS_SERVER")
        os.environ["CUPS_SERVER"] = str(sock)
        yield root / "out"
    finally:
        if "old" in locals():
            if old is None:
                os.environ.pop("CUPS_SERVER", None)
            else:
                os.environ["CUPS_SERVER"] = old
        proc.terminate()
        proc.wait(timeout=15)
        shutil.rmtree(root, ignore_errors=True)


def wait_for_job(out: Path, job_id: str) -> bytes:
    number = job_id.rsplit("-", 1)[-1]
    path = out / f"job-{number}.out"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size > 0 and printer_state(PRINTER).jobs == 0:
            return path.read_bytes()
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} never reached the printer")


def still_and_crop() -> tuple[np.ndarray, tuple[float, float, float, float]]:
    still = np.full((1520, 2028, 3), (255, 197, 100), np.uint8)
    still[400:1100, 800:1230] = (90, 120, 170)
    return still, (654.0, 200.0, 720.0, 960.0)


def test_the_sheet_reaches_the_printer_as_a_six_inch_pdf(cups):
    still, crop = still_and_crop()
    job = CupsSheetPrinter(PRINTER).print_sheet(still, crop)
    assert job.startswith(f"{PRINTER}-")
    data = wait_for_job(cups, job)
    (page,) = read_print_pdf(data)
    assert (page.width_pt, page.height_pt) == (432, 288)  # 6 x 4 inches, in points
    assert [(i.rect_pt, i.dpi) for i in page.images] == [((0, 0, 432, 288), (300, 300))]
    state = printer_state(PRINTER)
    assert (state.known, state.state, state.jobs) == (True, "idle", 0)


def test_staff_see_jobs_wait_while_the_printer_is_stopped(cups):
    subprocess.run(["cupsdisable", PRINTER], check=True, timeout=30)
    try:
        job = print_data(b"%PDF-1.4\n%test\n", PRINTER)
        state = printer_state(PRINTER)
        assert state.state == "disabled" and state.jobs == 1
    finally:
        subprocess.run(["cupsenable", PRINTER], check=True, timeout=30)
    wait_for_job(cups, job)
    assert printer_state(PRINTER).jobs == 0


def test_an_unknown_printer_is_a_clear_error(cups):
    with pytest.raises(PrintError, match="lp refused the job"):
        print_data(b"%PDF-1.4\n", "no-such-printer")
    state = printer_state("no-such-printer")
    assert not state.known and state.state == "unknown"


def accepted_rig(tmp_path, printer) -> Rig:
    still, crop = still_and_crop()
    rig = Rig(tmp_path)
    ok = CheckResult("glasses", True, 0.1, Message("", ""))
    report = Report({"glasses": ok}, 5.0, FaceGeometry(box=(800, 400, 430, 700), crop=crop, scale=0.66))
    rig.booth.checker = type("C", (), {"profile_name": "chsi", "check": staticmethod(lambda image: report)})()
    rig.booth.camera = type("S", (), {"capture_burst": staticmethod(lambda count, gap_s: [still.copy()] * count)})()
    rig.booth.printer = printer
    rig.to_review()
    rig.send(Touch("accept"))
    assert rig.state == "done"
    return rig


def test_the_done_screen_offers_the_sheet_once_and_prints_it(cups, tmp_path):
    rig = accepted_rig(tmp_path, CupsSheetPrinter(PRINTER))
    assert rig.booth.snapshot()["print"] == {"offered": True, "job": None}
    rig.send(Touch("print"))
    snap = rig.booth.snapshot()
    assert snap["state"] == "done" and snap["notice"] == msg.PRINTING.to_dict()
    assert snap["print"]["offered"] is False and snap["print"]["job"].startswith(PRINTER)
    assert wait_for_job(cups, snap["print"]["job"]).startswith(b"%PDF")
    assert rig.records.event_counts().get("printed") == 1
    rig.send(Touch("print"))  # once per student
    assert rig.records.event_counts().get("printed") == 1


def test_no_printer_no_offer_and_a_failing_one_apologises(tmp_path):
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
    rig = accepted_rig(tmp_path / "a", None)
    assert rig.booth.snapshot()["print"]["offered"] is False

    class Jammed:
        def print_sheet(self, still, crop):
            raise PrintError("lp refused the job: printer is out of paper")

    rig = accepted_rig(tmp_path / "b", Jammed())
    rig.send(Touch("print"))
    snap = rig.booth.snapshot()
    assert snap["state"] == "done" and snap["notice"] == msg.PRINT_FAILED.to_dict()
    assert rig.records.event_counts().get("print_error") == 1


def test_the_next_student_gets_no_offer_from_the_last_one(cups, tmp_path):
    rig = accepted_rig(tmp_path, CupsSheetPrinter(PRINTER))
    rig.send(Touch("finish"))
    rig.send(CodeSeen("GOOD:2024009"))
    assert rig.booth.snapshot().get("print") is None
