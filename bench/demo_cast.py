"""How quickly ``kiosk demo --photos DIR`` finds portraits to pose: a pass and failures with clear reasons.

Runs the demo's cast search (``kiosk.demo.cast``) with the booth's own compliance check, as the demo does at
start, and prints what it found and when. Compare with the file-order posing the demo used before: the
first N portraits in name order, checked one by one.

Run: ``.venv/bin/python bench/demo_cast.py [DIR] [--budget S] [--first N]`` (DIR defaults to the shared
faces folder beside the project).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiosk.demo.cast import CLEAR_REASONS, Cast, candidates  # noqa: E402
from kiosk.demo.director import scene_maker  # noqa: E402
from kiosk.vision.checker import ComplianceChecker  # noqa: E402

FACES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "faces"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", nargs="?", default=str(FACES))
    ap.add_argument("--budget", type=float, default=60.0, help="search budget in seconds (the demo's default)")
    ap.add_argument("--first", type=int, default=6, help="file-order portraits to compare with")
    args = ap.parse_args()
    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"{folder}: no such folder", file=sys.stderr)
        return 2
    checker = ComplianceChecker("chsi")
    make = scene_maker(checker)

    cast = Cast(candidates(folder), make, checker.check, budget_s=args.budget)
    t0 = time.monotonic()
    cast.run()
    seconds = time.monotonic() - t0

    print(f"cast search on {folder.name}/ (budget {args.budget:.0f} s, 2-core machine shared with other work)\n")
    print("| checked | seconds | first pass at (s) | first clear failure at (s) | passes | clear failures |")
    print("| --- | --- | --- | --- | --- | --- |")
    first_pass = cast.found_at.get("pass")
    first_fail = cast.found_at.get("fail")
    print(
        f"| {cast.checked} | {seconds:.1f} | {'-' if first_pass is None else f'{first_pass:.1f}'} |"
        f" {'-' if first_fail is None else f'{first_fail:.1f}'} | {len(cast.passes)} | {len(cast.failures)} |"
    )
    print()
    for p in cast.passes:
        print(f"pass:    {p.source}")
    for p in cast.failures:
        print(f"failure: {p.source}: {', '.join(p.reasons)}")

    print(f"\nfile order (the demo before): first {args.first} portraits\n")
    print("| portrait | verdict | reasons |")
    print("| --- | --- | --- |")
    clear = 0
    files = sorted(folder.glob("celeba_wild_*"))[: args.first]
    for path in files:
        import cv2

        try:
            report = checker.check(make(cv2.imread(str(path))))
        except ValueError:
            print(f"| {path.name} | no face | |")
            continue
        reasons = [f.id for f in report.failures()]
        clear += bool(reasons) and len(reasons) <= CLEAR_REASONS
        print(f"| {path.name} | {'pass' if report.passed else 'fail'} | {', '.join(reasons)} |")
    print(f"\nfile order: {clear} of {len(files)} fail for at most {CLEAR_REASONS} reasons")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
