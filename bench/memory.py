"""Peak memory of ``kiosk crop`` and ``kiosk queue add`` on a camera still, and of refusing oversized images.

Each command runs as its own process (``python -m kiosk``), started by a small launcher that reads the
kernel's accounting of that one child (``os.wait4``, ``ru_maxrss``). The stills are the tests' compliant
booth scene (a shared face photo posed on the backdrop, ``tests/helpers/scenes.py``, 2028x1520) scaled up to
12 MP (4056x3040, the HQ camera) and 48 MP (8000x6000); the oversized images are headers that declare
20k x 20k (JPEG) and 100k x 100k (PNG) pixels. Target: under 400 MB for crop and queue add on 12 MP.
Run: ``.venv/bin/python bench/memory.py`` (needs ``../shared/data/faces``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402

from tests.helpers.bombs import jpeg_declaring, png_declaring  # noqa: E402
from tests.helpers.scenes import compliant_still  # noqa: E402

FACES = ROOT.parent / "shared" / "data" / "faces"
TARGET_MB = 400


# A small launcher process starts each command and reads its rusage: a child forked straight from this
# bench would start with the bench's own (large) resident set counted in its peak.
LAUNCHER = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[1:])
_, status, usage = os.wait4(proc.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def run(argv: list[str], stdin: str = "") -> tuple[int, float, float]:
    """(exit status, peak RSS in MB, seconds) of one ``python -m kiosk`` process."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, sys.executable, "-m", "kiosk", *argv],
        env=env,
        input=stdin.encode(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    code, maxrss_kb = done.stdout.decode().split()[-2:]
    return int(code), int(maxrss_kb) / 1024, time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    if not (FACES / "labels.csv").is_file():
        print(f"shared face photos not found at {FACES}; nothing measured")
        return 2
    from kiosk.vision.checker import ComplianceChecker

    analyser = ComplianceChecker("chsi").analyser
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        files = {}
        still = compliant_still(analyser, FACES)  # 2028x1520, the booth's scene; scaled up like a bigger sensor
        for label, size in (("12 MP still", (4056, 3040)), ("48 MP still", (8000, 6000))):
            path = tmp / f"{size[0]}x{size[1]}.jpg"
            big = cv2.resize(still, size, interpolation=cv2.INTER_CUBIC)
            cv2.imwrite(str(path), big, [cv2.IMWRITE_JPEG_QUALITY, 92])
            files[label] = path
        del still, big
        for label, data in (
            ("20k x 20k JPEG header", jpeg_declaring(20_000, 20_000)),
            ("100k x 100k PNG header", png_declaring(100_000, 100_000)),
        ):
            path = tmp / label.replace(" ", "_")
            path.write_bytes(data)
            files[label] = path
        assert run(["keys", "centre-keygen", "--out", str(tmp / "keys")])[0] == 0
        cfg = tmp / "kiosk.toml"
        cfg.write_text(
            f'[kiosk]\ndata_dir = "{tmp / "data"}"\n[upload]\ncentre_public_key = "{tmp / "keys" / "centre.pub"}"\n'
            "min_free_mb = 0\n"
        )
        baseline = run(["--help"])
        print("Peak resident memory per command (one process each; the machine is shared, so times vary).")
        print()
        print("| command | input | exit | peak MB | seconds | target |")
        print("| --- | --- | --- | --- | --- | --- |")
        print(f"| kiosk --help (baseline) | - | {baseline[0]} | {baseline[1]:.0f} | {baseline[2]:.1f} | - |")
        for n, (label, path) in enumerate(files.items()):
            crop = run(["crop", str(path), "-o", str(tmp / f"out{n}.jpg")])
            add = run(
                ["queue", "add", str(path), "-c", str(cfg), "--uid", f"U-{n}", "--school", "s", "--level", "l"],
                stdin="王五\n110101199001015678\n",
            )
            for name, (code, peak, secs) in (("crop", crop), ("queue add", add)):
                verdict = "met" if peak < TARGET_MB else "MISSED"
                target = f"< {TARGET_MB} MB: {verdict}" if label == "12 MP still" else "-"
                print(f"| kiosk {name} | {label} | {code} | {peak:.0f} | {secs:.1f} | {target} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
