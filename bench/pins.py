#!/usr/bin/env python3
"""Does the booth judge the same photos the same way under the Pi's pinned numpy and OpenCV?

The README's accuracy figures are measured on a development machine; the Pi runs older numpy and OpenCV
(``systemd/pi-constraints.txt``). Any pixel that an OpenCV version computes differently (a resize, a warp,
a colour conversion) reaches the models and can move a probability across a threshold. This bench judges
the compliance bench's fixed subset and keeps, per photo, the whole verdict, every check's outcome and
score, and the attribute model's probabilities; two such records, one per environment, are compared:

    python bench/pins.py dump ../shared/data/faces --out dev.json        # in one environment
    python bench/pins.py dump ../shared/data/faces --out pi.json         # in the other
    python bench/pins.py compare dev.json pi.json                        # Markdown on stdout

``scripts/bench-pi-pins.sh`` does all three, building the pinned environment the way
``scripts/test-pi-pins.sh`` does.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import compliance  # noqa: E402

from kiosk.vision.analysis import FaceAnalysis  # noqa: E402
from kiosk.vision.attributes import AttributeModel  # noqa: E402
from kiosk.vision.checker import ComplianceChecker  # noqa: E402

# A probability or score that moves less than this is the same number for every threshold in a profile.
SAME = 1e-3


@dataclass
class PhotoRecord:
    """One photo as an environment judged it."""

    file: str
    part: str
    compliant: bool
    broken: bool
    verdict: str  # "rejected", "asked", "passed" (compliance.verdict)
    attributes: dict[str, float] | None
    checks: dict[str, dict[str, Any]]  # check id -> {"pass", "ask", "score"}


class RecordingAttributes:
    """The checker's attribute model, keeping the probabilities of the last photo (the report only carries
    those a check chose to show)."""

    def __init__(self, model: AttributeModel) -> None:
        self.model = model
        self.last: dict[str, float] | None = None

    def predict(self, a: FaceAnalysis) -> dict[str, float] | None:
        self.last = self.model.predict(a)
        return self.last


def environment() -> dict[str, str]:
    return {"numpy": np.__version__, "opencv": cv2.__version__, "python": sys.version.split()[0]}


def sample_rows(faces: list[dict[str, Any]], frontal: list[dict[str, Any]], held: int) -> list[dict[str, Any]]:
    """``held`` held-out photos of faces drawn at random (seed 0, so every environment draws the same), and
    every photo of frontal_orl's held-out people."""
    pool = sorted((r for r in faces if r["held"]), key=lambda r: r["file"])
    picked = random.Random(0).sample(pool, min(held, len(pool)))
    return sorted(picked, key=lambda r: r["file"]) + [r for r in frontal if r["held"]]


def dump(faces: Path, frontal: Path | None, profile: str, held: int = 0) -> dict[str, Any]:
    """Judge the compliance bench's subset, or ``held`` held-out photos (one thread, so it repeats
    exactly), and record every photo."""
    checker = ComplianceChecker(profile, num_threads=1)
    recorder = RecordingAttributes(checker.attributes)
    checker.attributes = recorder  # type: ignore[assignment]  # same predict() as the model it wraps
    face_rows = compliance.faces_rows(faces, 0, compliance.profile_forbids_glasses(checker.profile))
    front_rows = compliance.frontal_rows(frontal) if frontal else []
    rows = sample_rows(face_rows, front_rows, held) if held else compliance.subset_rows(face_rows, front_rows)
    photos: list[PhotoRecord] = []
    for row in rows:
        folder = frontal if row["part"] == "frontal_orl" else faces
        assert folder is not None
        img = cv2.imread(str(folder / row["file"]))
        if img is None:
            continue
        recorder.last = None
        report = checker.check(img)
        j = compliance.Judged(row["file"], row["part"], row["held"], report, 0.0, row["truth"], row["compliant"],
                              row["broken"], row.get("person", ""))  # fmt: skip
        checks = {cid: {"pass": c.passed, "ask": c.ask, "score": round(float(c.score), 4)}
                  for cid, c in report.checks.items()}  # fmt: skip
        photos.append(PhotoRecord(row["file"], row["part"], row["compliant"], row["broken"], compliance.verdict(j),
                                  recorder.last, checks))  # fmt: skip
    return {"environment": environment(), "profile": profile, "photos": [asdict(p) for p in photos]}


def whole_verdict(photos: list[dict[str, Any]]) -> dict[str, tuple[int, int, int, int]]:
    """Per part: compliant photos, of them rejected; rule-breaking photos, of them passed."""
    out = {}
    for part in compliance.PART_NAMES:
        sel = [p for p in photos if p["part"] == part]
        if sel:
            ok = [p for p in sel if p["compliant"]]
            bad = [p for p in sel if p["broken"]]
            out[part] = (len(ok), sum(p["verdict"] == "rejected" for p in ok),
                         len(bad), sum(p["verdict"] == "passed" for p in bad))  # fmt: skip
    return out


def table_head(*columns: str) -> list[str]:
    return ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]


def _outcome(c: dict[str, Any] | None) -> str:
    if c is None:
        return "absent"
    return "ask" if c["pass"] and c["ask"] else ("pass" if c["pass"] else "fail")


def compare(a: dict[str, Any], b: dict[str, Any]) -> str:
    """Markdown: whole-verdict error counts side by side, the photos whose verdict or a check's outcome
    changed, and how far the attribute probabilities and check scores moved."""
    ea, eb = a["environment"], b["environment"]
    name_a = f"numpy {ea['numpy']}, OpenCV {ea['opencv']}"
    name_b = f"numpy {eb['numpy']}, OpenCV {eb['opencv']}"
    pa = {p["file"]: p for p in a["photos"]}
    pb = {p["file"]: p for p in b["photos"]}
    files = [f for f in pa if f in pb]
    lines = [f"A: {name_a}. B: {name_b}. {len(files)} photos judged by both (profile {a['profile']}).", ""]
    lines += table_head("set", "compliant", "false rejects A", "false rejects B", "rule-breaking", "false accepts A",
                        "false accepts B")  # fmt: skip
    va, vb = whole_verdict([pa[f] for f in files]), whole_verdict([pb[f] for f in files])
    for part, (n_ok, fr_a, n_bad, fa_a) in va.items():
        _, fr_b, _, fa_b = vb[part]
        lines.append(f"| {compliance.PART_NAMES[part]} | {n_ok} | {fr_a} | {fr_b} | {n_bad} | {fa_a} | {fa_b} |")
    changed = [f for f in files if pa[f]["verdict"] != pb[f]["verdict"]]
    lines += ["", f"Photos whose whole verdict changed: {len(changed)} of {len(files)}."]
    flips: Counter[str] = Counter()
    flip_lines = []
    for f in files:
        ids = sorted(set(pa[f]["checks"]) | set(pb[f]["checks"]))
        moved = [(cid, _outcome(pa[f]["checks"].get(cid)), _outcome(pb[f]["checks"].get(cid))) for cid in ids]
        moved = [m for m in moved if m[1] != m[2]]
        flips.update(cid for cid, _, _ in moved)
        if moved or f in changed:
            detail = ", ".join(f"{cid} {x} -> {y}" for cid, x, y in moved)
            flip_lines.append(f"| {f} | {pa[f]['verdict']} | {pb[f]['verdict']} | {detail} |")
    lines += [""] + table_head("photo", "verdict A", "verdict B", "checks whose outcome changed")
    lines += flip_lines or ["| (none) | | | |"]
    lines += ["", "Attribute probabilities, B less A (photos with a face mesh in both):", ""]
    lines += table_head("head", "photos", "moved > 0.001", "median abs", "max abs")
    both = [f for f in files if pa[f]["attributes"] and pb[f]["attributes"]]
    heads = list(pa[both[0]]["attributes"]) if both else []
    for head in heads:
        d = [abs(pb[f]["attributes"][head] - pa[f]["attributes"][head]) for f in both]
        lines.append(f"| {head} | {len(d)} | {sum(x > SAME for x in d)} | {statistics.median(d):.4f} "
                     f"| {max(d):.4f} |")  # fmt: skip
    lines += ["", "Check scores, B less A, and outcome changes per check:", ""]
    lines += table_head("check", "photos", "score moved > 0.001", "max abs", "outcome changed")
    ids = sorted({cid for f in files for cid in pa[f]["checks"]})
    for cid in ids:
        d = [abs(pb[f]["checks"][cid]["score"] - pa[f]["checks"][cid]["score"])
             for f in files if cid in pa[f]["checks"] and cid in pb[f]["checks"]]  # fmt: skip
        if d:
            lines.append(f"| {cid} | {len(d)} | {sum(x > SAME for x in d)} | {max(d):.4f} | {flips[cid]} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump", help="judge the subset here and write the per-photo record")
    d.add_argument("folder", type=Path, help="the labelled faces folder (labels.csv, meta.csv)")
    d.add_argument("--frontal", type=Path, help="the frontal_orl folder (default: beside the faces folder)")
    d.add_argument("--profile", default="chsi")
    d.add_argument("--out", type=Path, required=True, help="the JSON record to write")
    d.add_argument("--held", type=int, default=0,
                   help="instead of the subset: this many held-out faces photos (random, seed 0) and frontal_orl's "
                   "held-out people")  # fmt: skip
    c = sub.add_parser("compare", help="compare two records (Markdown on stdout)")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    args = ap.parse_args(argv)
    if args.cmd == "dump":
        if not (args.folder / "labels.csv").is_file():
            print(f"pins bench: no labels.csv in {args.folder}", file=sys.stderr)
            return 2
        record = dump(args.folder, compliance.frontal_folder(args.folder, args.frontal), args.profile, args.held)
        args.out.write_text(json.dumps(record, indent=1), encoding="utf-8")
        env = record["environment"]
        print(f"numpy {env['numpy']}, OpenCV {env['opencv']}: {len(record['photos'])} photos")
        for part, (n_ok, fr, n_bad, fa) in whole_verdict(record["photos"]).items():
            print(f"  {compliance.PART_NAMES[part]}: false rejects {fr}/{n_ok}, false accepts {fa}/{n_bad}")
        return 0
    a = json.loads(args.a.read_text(encoding="utf-8"))
    b = json.loads(args.b.read_text(encoding="utf-8"))
    print(compare(a, b))
    return 0


if __name__ == "__main__":
    sys.exit(main())
