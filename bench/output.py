"""Benchmark of the output photo: crop + encode of the registration JPEG, and the print sheet.

Works on a 12-megapixel (4056x3040) synthetic still with a known head and camera-like grain (the same
generator the tests use), so the JPEG size search does the same number of steps as on a real shot.
Prints median and p95 over a few runs. Target: crop + encode under 60 ms on the booth's 2 cores.
Run: ``.venv/bin/python bench/output.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiosk.output import build_sheet, encode_in_band, make_registration, sheet_jpeg, sheet_pdf, solve  # noqa: E402
from kiosk.output.render import crop_resize  # noqa: E402
from tests.helpers.portraits import synthetic_portrait  # noqa: E402


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """(median, p95) wall time in milliseconds, after one warm-up call."""
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    still, head = synthetic_portrait(4056, 3040, noise=5)
    placement = solve(head, still.shape[1], still.shape[0])
    resampled = crop_resize(still, placement.rect, (480, 640))
    sheet = build_sheet(still, placement.rect)
    photo = make_registration(still, head)
    # a student close to the camera: face 960 px wide, so the crop is about 2000x2600 source pixels
    near, near_head = synthetic_portrait(4056, 3040, face_width=960, eye_y=1350, noise=5, seed=2)
    near_crop = solve(near_head, near.shape[1], near.shape[0])

    rows = [
        ("solve (1.5 steps 1-5)", lambda: solve(head, still.shape[1], still.shape[0])),
        ("resample crop to 480x640", lambda: crop_resize(still, placement.rect, (480, 640))),
        ("encode in size band", lambda: encode_in_band(resampled)),
        ("crop + encode (total)", lambda: make_registration(still, head)),
        (
            f"crop + encode, near ({near_crop.width}x{near_crop.height} crop)",
            lambda: make_registration(near, near_head),
        ),
        ("build sheet 1800x1200", lambda: build_sheet(still, placement.rect)),
        ("sheet JPEG", lambda: sheet_jpeg(sheet)),
        ("sheet PDF (incl. JPEG)", lambda: sheet_pdf(sheet)),
    ]
    print(
        f"still {still.shape[1]}x{still.shape[0]}, crop {placement.width}x{placement.height}, "
        f"{args.runs} runs; photo {photo.encoded.size_kb:.1f} KB at quality {photo.encoded.quality}"
    )
    print("| step | median ms | p95 ms |\n| --- | ---: | ---: |")
    for name, fn in rows:
        med, p95 = timed(fn, args.runs)
        print(f"| {name} | {med:.2f} | {p95:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
