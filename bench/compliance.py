#!/usr/bin/env python3
"""Benchmark the compliance check: the whole verdict, each check's part in it, per-check accuracy.

    python bench/compliance.py ../shared/data/faces [--frontal DIR] [--aligned 2000] [--profile chsi]
    python bench/compliance.py ../shared/data/faces --subset     # the small fixed subset of the README

One command, Markdown tables on stdout. Two sets, each split by person (no person on both sides):

- ``faces`` (labelled press photos, aligned crops and wild photos): the calibration half suggests the
  measured thresholds (sharpness, mouth gap, gaze and exposure offsets; printed beside the profile's);
  the held-out half is judged with the profile as shipped, on the face checks.
- ``frontal_orl`` (people asked to face the camera; 92x112 grey on a dark background): the calibration
  people give the head-pose scatter the pose limits are set on; the held-out people are judged on the
  face checks. Background, clothing, placement, exposure and colour checks do not apply to such small
  grey photos, so they are left out there, and so is ``ears_visible`` (it tells ear skin from hair by
  colour). Photos that break a rule plainly (eyes shut, bench/frontal_labels.py) are the rule-breaking
  ones; every other photo counts as compliant.

The whole verdict: a photo is rejected when no single face is found or any counted check with severity
"fail" fails; asked when it passes but a counted check asks the student a question; a rule-breaking
photo is a false accept when it passes without a question. ``--subset`` judges a small fixed part of the
held-out photos (no calibration, no timings; one thread, so it repeats exactly): the README holds its
tables and a test checks they are what this prints.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from frontal_labels import BROKEN, CLOSED_EYES, GAZE, JEWELLERY, MOUTH, POSE, stem  # noqa: E402
from labelled import held_out, read_labelled  # noqa: E402
from press_labels import LOOKED  # noqa: E402

from kiosk.demo.scene import booth_scene, wink  # noqa: E402
from kiosk.vision.checker import ComplianceChecker  # noqa: E402
from kiosk.vision.checks import ORDER, sharpness  # noqa: E402
from kiosk.vision.messages import MESSAGES  # noqa: E402
from kiosk.vision.profiles import Profile  # noqa: E402
from kiosk.vision.report import Report  # noqa: E402

# Label -> check id (shared/data/faces/README.md). The attribute checks' cut-offs come from the profile
# (calibrated when the classifier was trained, on identities of the calibration half it was not trained
# on); this bench does not re-derive them.
LABEL_TO_CHECK = {
    "glasses": "glasses",
    "hat": "head_covering",
    "mouth_open": "mouth_closed",
    "earrings": "jewellery",
    "necklace": "jewellery",
    "heavy_makeup": "heavy_makeup",
    "bangs": "eyebrows_visible",
    "blurry": "sharpness",
    "smiling": "expression",
}
# The face checks of the whole verdict on press photos (the list, plus the newer face checks).
# Placement, pose, background, clothing, light and sharpness are left out: press photos are not booth
# stills (their reject rates are in the per-check table of the full run).
PRESS_CHECKS = (
    "head_covering", "glasses", "face_occlusion", "eyes_open", "gaze", "mouth_closed", "expression",
    "eyebrows_visible", "ears_visible", "jewellery", "heavy_makeup", "coloured_contacts",
)  # fmt: skip
# On frontal_orl: the face checks that apply to small grey photos, head pose included.
FRONTAL_CHECKS = (
    "head_pose", "head_covering", "glasses", "face_occlusion", "eyes_open", "gaze", "mouth_closed",
    "expression", "eyebrows_visible", "jewellery", "heavy_makeup", "coloured_contacts",
)  # fmt: skip
NOT_ON_GREY = "head_geometry, background, clothing_not_blue, shoulders_level, illumination, exposure, sharpness, " \
    "red_eye, natural_colour, ears_visible (colour)"  # fmt: skip
SUBSET = {"aligned89": 60, "wild": 30, "frontal_people": 3}


@dataclass
class Judged:
    """One photo's report and what the set says about it."""

    file: str
    part: str  # "aligned89", "wild", "frontal_orl"
    held: bool
    report: Report
    ms: float
    truth: dict[str, int | None] = field(default_factory=dict)  # check id -> 1 broken, 0 fine, None unknown
    compliant: bool = False
    broken: bool = False
    person: str = ""
    celeba: tuple[bool, bool] | None = None  # press photos: (compliant, broken) by CelebA's labels alone


# --- loading the sets ---------------------------------------------------------------------------------


def faces_rows(folder: Path, aligned: int, glasses_forbidden: bool) -> list[dict]:
    rows = []
    for photo in read_labelled(folder):
        truth: dict[str, int | None] = {}
        for label, check in LABEL_TO_CHECK.items():
            value = photo.label(label)
            if value is not None:
                truth[check] = max(truth.get(check) or 0, value)
        truth["narrow_eyes"] = photo.label("narrow_eyes")  # not a rule: the eyes table's fairness row
        rule_labels = [k for k in LABEL_TO_CHECK if k not in ("blurry", "smiling")]
        compliant = all(photo.label(k) == 0 for k in rule_labels + ["blurry"])
        breaking = [k for k in rule_labels if k != "glasses" or glasses_forbidden]
        broken = any(photo.label(k) == 1 for k in breaking)
        # A rule CelebA has no label for, seen on a held-out photo it calls compliant (press_labels.py).
        looked = compliant and photo.file in LOOKED
        rows.append({"file": photo.file, "part": photo.variant, "held": held_out(photo.identity),
                     "truth": truth, "compliant": compliant and not looked, "broken": broken or looked,
                     "celeba": (compliant, broken)})  # fmt: skip
    rng = random.Random(0)
    al = [r for r in rows if r["part"] != "wild"]
    if aligned and len(al) > aligned:
        al = rng.sample(al, aligned)
    return al + [r for r in rows if r["part"] == "wild"]


def frontal_rows(folder: Path) -> list[dict]:
    rows = []
    for path in sorted(folder.glob("orl_s*_*.png")):
        person = stem(path.name).split("_")[0]
        broken = stem(path.name) in BROKEN
        name = stem(path.name)
        truth = {"eyes_open": int(name in CLOSED_EYES), "mouth_closed": int(name in MOUTH),
                 "jewellery": int(name in JEWELLERY), "head_pose": int(name in POSE),
                 "gaze": int(name in GAZE)}  # fmt: skip
        rows.append({"file": path.name, "part": "frontal_orl", "held": held_out(person), "person": person,
                     "truth": truth, "compliant": not broken, "broken": broken})  # fmt: skip
    return rows


def subset_rows(faces: list[dict], frontal: list[dict]) -> list[dict]:
    """The fixed subset: the first held-out photos by file name of each part, the first held-out people."""
    out = []
    for part in ("aligned89", "wild"):
        held = sorted((r for r in faces if r["held"] and r["part"] == part), key=lambda r: r["file"])
        out += held[: SUBSET[part]]
    people = sorted({r["person"] for r in frontal if r["held"]}, key=lambda p: int(p[1:]))[: SUBSET["frontal_people"]]
    return out + [r for r in frontal if r["person"] in people]


def judge(checker: ComplianceChecker, folder: Path, rows: list[dict]) -> list[Judged]:
    out = []
    for row in rows:
        img = cv2.imread(str(folder / row["file"]))
        if img is None:
            continue
        t0 = time.perf_counter()
        rep = checker.check(img)
        ms = (time.perf_counter() - t0) * 1000
        out.append(Judged(row["file"], row["part"], row["held"], rep, ms, row["truth"], row["compliant"],
                          row["broken"], row.get("person", ""), row.get("celeba")))  # fmt: skip
    return out


# --- the whole verdict --------------------------------------------------------------------------------


def counted(part: str) -> tuple[str, ...]:
    return FRONTAL_CHECKS if part == "frontal_orl" else PRESS_CHECKS


def no_face(j: Judged) -> bool:
    return not j.report.checks["single_face"].passed


def blocking(j: Judged) -> list[str]:
    """The counted checks that fail the photo (severity "fail")."""
    return [
        cid
        for cid in counted(j.part)
        if (c := j.report.checks.get(cid)) is not None and not c.passed and c.severity == "fail"
    ]


def asking(j: Judged) -> list[str]:
    return [cid for cid in counted(j.part) if (c := j.report.checks.get(cid)) is not None and c.passed and c.ask]


def verdict(j: Judged) -> str:
    if no_face(j) or blocking(j):
        return "rejected"
    return "asked" if asking(j) else "passed"


def share(values: list[bool]) -> str:
    return f"{np.mean(values):.1%}" if values else "-"


PART_NAMES = {"aligned89": "faces, aligned crops", "wild": "faces, wild photos", "frontal_orl": "frontal_orl"}


def whole_verdict_table(judged: list[Judged]) -> str:
    lines = [
        "| held-out set | photos | compliant | false rejects | asked | rule-breaking | false accepts | asked instead |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]

    def row(name: str, sel: list[Judged], ok: list[Judged], bad: list[Judged]) -> str:
        v_ok, v_bad = [verdict(j) for j in ok], [verdict(j) for j in bad]
        return (f"| {name} | {len(sel)} | {len(ok)} | {share([v == 'rejected' for v in v_ok])} "
                f"| {share([v == 'asked' for v in v_ok])} | {len(bad)} | {share([v == 'passed' for v in v_bad])} "
                f"| {share([v == 'asked' for v in v_bad])} |")  # fmt: skip

    for part in ("aligned89", "wild", "frontal_orl"):
        sel = [j for j in judged if j.part == part]
        if sel:
            lines.append(row(PART_NAMES[part], sel, [j for j in sel if j.compliant], [j for j in sel if j.broken]))
    for part in ("aligned89", "wild"):  # the same photos as CelebA's labels alone see them
        sel = [j for j in judged if j.part == part and j.celeba is not None]
        if sel:
            ok = [j for j in sel if j.celeba and j.celeba[0]]
            bad = [j for j in sel if j.celeba and j.celeba[1]]
            lines.append(row(f"{PART_NAMES[part]}, CelebA labels alone", sel, ok, bad))
    frontal = [j for j in judged if j.part == "frontal_orl"]
    if frontal:
        lines.append("")
        lines.append(f"frontal_orl, all held-out photos: pass {share([verdict(j) != 'rejected' for j in frontal])} "
                     f"(of them asked {share([verdict(j) == 'asked' for j in frontal])}).")  # fmt: skip
    return "\n".join(lines)


def parts_table(judged: list[Judged]) -> str:
    """Each check's part in the false rejects: the share of compliant photos it fails (and asks), and the
    share it alone rejects."""
    parts = [p for p in ("aligned89", "wild", "frontal_orl") if any(j.part == p for j in judged)]
    head = " | ".join(f"{PART_NAMES[p]}: fails / alone / asks" for p in parts)
    lines = [f"| check | {head} |", "| --- |" + " --- |" * len(parts)]
    ids = [c for c in ORDER if c in PRESS_CHECKS or c in FRONTAL_CHECKS]
    for cid in ["single_face"] + ids:
        cells = []
        for p in parts:
            ok = [j for j in judged if j.part == p and j.compliant]
            if cid != "single_face" and cid not in counted(p):
                cells.append("not counted")
                continue
            if cid != "single_face" and not any(cid in j.report.checks for j in ok):
                cells.append("-")
                continue
            if cid == "single_face":
                fails = [no_face(j) for j in ok]
                alone = [no_face(j) for j in ok]
                asks = [False for _ in ok]
            else:
                fails = [cid in blocking(j) and not no_face(j) for j in ok]
                alone = [blocking(j) == [cid] and not no_face(j) for j in ok]
                asks = [cid in asking(j) for j in ok]
            cells.append(f"{share(fails)} / {share(alone)} / {share(asks)}")
        name = "single_face (no single face found)" if cid == "single_face" else cid
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def verdict_markdown(judged: list[Judged], profile: str) -> str:
    return "\n\n".join([
        f"Whole verdict ({profile}; held-out people; face checks):",
        whole_verdict_table(judged),
        "Each check's part in the false rejects (share of the compliant photos it fails, fails alone, asks):",
        parts_table(judged),
    ])  # fmt: skip


# --- per-check accuracy -------------------------------------------------------------------------------


def flagged(j: Judged, check: str, glasses_cut: float | None, blocked_only: bool) -> bool:
    """Did the check raise the rule (fail, or ask unless ``blocked_only``)? No single face counts as
    failed; the glasses row compares the label with presence (what ``chsi-no-glasses`` fails on)."""
    c = j.report.checks.get(check)
    if c is None:
        return no_face(j)
    if check == "glasses" and glasses_cut is not None:
        return float(c.value["probability"]) > glasses_cut
    return (not c.passed) or (c.ask and not blocked_only)


def metrics(part: list[Judged], check: str, glasses_cut: float | None, blocked_only: bool) -> dict[str, float]:
    tp = fp = tn = fn = 0
    for j in part:
        t = j.truth.get(check)
        if t is None:
            continue
        pred = flagged(j, check, glasses_cut, blocked_only)
        tp += pred and t == 1
        fp += pred and t == 0
        tn += (not pred) and t == 0
        fn += (not pred) and t == 1
    prec = tp / (tp + fp) if tp + fp else float("nan")
    rec = tp / (tp + fn) if tp + fn else float("nan")
    spec = tn / (tn + fp) if tn + fp else float("nan")
    return {"n": tp + fp + tn + fn, "pos": tp + fn, "precision": prec, "recall": rec, "bacc": (rec + spec) / 2}


def fmt(x: float) -> str:
    return "n/a" if x != x else f"{x:.2f}"


def accuracy_table(part: list[Judged], profile: Profile) -> str:
    presence = None if profile.get("glasses") == "forbidden" else float(profile.get("attributes.glasses"))
    lines = [
        "| check | labelled by | n | broken | precision | recall | balanced acc. (fail or ask) "
        "| balanced acc. (fail) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for check in sorted(set(LABEL_TO_CHECK.values())):
        labels = ", ".join(k for k, v in LABEL_TO_CHECK.items() if v == check)
        if not any(check in j.report.checks for j in part):
            lines.append(f"| {check} | {labels} | - | - | pending | pending | pending | pending |")
            continue
        m = metrics(part, check, presence, False)
        b = metrics(part, check, presence, True)
        name = "glasses (presence)" if check == "glasses" and presence is not None else check
        lines.append(f"| {name} | {labels} | {m['n']} | {m['pos']} | {fmt(m['precision'])} | {fmt(m['recall'])} "
                     f"| {fmt(m['bacc'])} | {fmt(b['bacc'])} |")  # fmt: skip
    return "\n".join(lines)


def all_checks_table(part: list[Judged]) -> str:
    ok = [j for j in part if j.compliant]
    ids = sorted({c for j in part for c in j.report.checks}, key=ORDER.index)
    lines = ["| check | fails | asks |", "| --- | --- | --- |"]
    for cid in ids:
        c = [j.report.checks.get(cid) for j in ok]
        lines.append(f"| {cid} | {share([x is not None and not x.passed for x in c])} "
                     f"| {share([x is not None and x.passed and x.ask for x in c])} |")  # fmt: skip
    return "\n".join(lines)


def lens_line(part: list[Judged], profile: Profile) -> str:
    """How the lens measurements judge labelled glasses wearers the classifier finds (no tint label)."""
    if profile.get("glasses") == "forbidden":
        return ""
    cut = float(profile.get("attributes.glasses"))
    worn = [j for j in part if j.truth.get("glasses") == 1 and flagged(j, "glasses", cut, False)]
    if not worn:
        return ""
    reasons: dict[str, int] = defaultdict(int)
    for j in worn:
        c = j.report.checks["glasses"]
        if not c.passed:
            reasons[next(k for k, v in MESSAGES["glasses"].items() if v == c.message)] += 1
    shares = ", ".join(f"{k} {v / len(worn):.0%}" for k, v in sorted(reasons.items())) or "none"
    return (f"Glasses under `{profile.name}` on the {len(worn)} labelled glasses wearers the classifier finds: "
            f"failed for {shares} (CelebA's glasses include sunglasses; no label says which).")  # fmt: skip


# --- calibration (faces, calibration half) ------------------------------------------------------------


def value(j: Judged, check: str, key: str) -> float | None:
    c = j.report.checks.get(check)
    if c is None or not isinstance(c.value, dict) or c.value.get(key) is None:
        return None
    return float(c.value[key])


def calibrate(judged: list[Judged], blur_pairs: list, base: Profile) -> dict[str, object]:
    """What the calibration half suggests; printed beside the profile's values, not applied."""
    cal: dict[str, object] = {}
    verticals = [v for j in judged if (v := value(j, "gaze", "vertical")) is not None]
    if verticals:
        cal["gaze.vertical_offset"] = round(statistics.median(verticals), 3)
    if blur_pairs:
        cal["sharpness.min_laplacian_var"] = round(float(np.percentile([s for s, _ in blur_pairs], 2)), 1)
    gaps = [(v, t) for j in judged if (v := value(j, "mouth_closed", "gap")) is not None
            and (t := j.truth.get("mouth_closed")) is not None]  # fmt: skip
    # The widest gap whose balanced accuracy is within 0.01 of the best: as accurate, fewer rejections.
    scored = []
    for thr in np.arange(0.005, 0.1, 0.0025):
        pos = [g > thr for g, t in gaps if t == 1]
        neg = [g <= thr for g, t in gaps if t == 0]
        if pos and neg:
            scored.append((float((np.mean(pos) + np.mean(neg)) / 2), round(float(thr), 4)))
    if scored:
        top = max(b for b, _ in scored)
        cal["mouth_closed.max_gap"] = max(thr for b, thr in scored if b >= top - 0.01)
    # Exposure: the spec's dark share (<= 5 %) rejects most published portraits (linear luminance 25/255
    # is sRGB ~88, ordinary skin in shade); the 95th percentile instead.
    darks = [v for j in judged if (v := value(j, "exposure", "dark")) is not None]
    if darks:
        cal["exposure.max_dark"] = round(float(np.percentile(darks, 95)), 3)
    lums = [v for j in judged if (v := value(j, "exposure", "luminance")) is not None]
    if lums:
        cal["exposure.luminance"] = [round(float(np.percentile(lums, q)), 3) for q in (2.5, 97.5)]
    return cal


def blur_pairs_of(checker: ComplianceChecker, folder: Path, rows: list[dict]) -> list[tuple[float, float]]:
    """Sharp wild faces and the same faces blurred (sigma 1.5 at IED 64): the sharpness threshold's test."""
    pairs = []
    for row in rows:
        if row["part"] != "wild" or row["truth"].get("sharpness"):
            continue
        img = cv2.imread(str(folder / row["file"]))
        if img is None:
            continue
        a = checker.analyse(img)
        if a.patch is not None and a.ied >= 48:
            sharp = sharpness.laplacian_variance(a)
            a.patch.bgr = cv2.GaussianBlur(a.patch.bgr, (0, 0), 1.5)
            pairs.append((sharp, sharpness.laplacian_variance(a)))
    return pairs


# --- head pose and eyes on frontal_orl ----------------------------------------------------------------


def pose_scatter(checker: ComplianceChecker, folder: Path, rows: list[dict]) -> str:
    """How yaw, pitch and roll scatter on the calibration people: the estimator's own noise (the same
    photo shifted and scaled a little; the photo mirrored, where yaw and roll must change sign and pitch
    stay), and the spread between and within people."""
    p = checker.profile
    rng = random.Random(0)
    per: dict[str, list[list[float]]] = defaultdict(list)
    labelled: list[tuple[str, list[float]]] = []  # (the photo's pose label or "", yaw, pitch, roll)
    jitter_sd, mirror = [], []
    for row in rows:
        img = cv2.imread(str(folder / row["file"]))
        a = checker.analyser.analyse(img, checker.rules, segment=False)
        if a.pose is None:
            continue
        base = [a.pose.yaw, a.pose.pitch, a.pose.roll]
        per[row["person"]].append(base)
        labelled.append((POSE.get(stem(row["file"]), "").split(":")[0], base))
        h, w = img.shape[:2]
        copies = []
        for _ in range(3):
            s, dx, dy = rng.uniform(0.92, 1.08), rng.uniform(-3, 3), rng.uniform(-3, 3)
            m = np.float32([[s, 0, dx + (1 - s) * w / 2], [0, s, dy + (1 - s) * h / 2]])
            b = checker.analyser.analyse(cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE),
                                         checker.rules, segment=False)  # fmt: skip
            if b.pose is not None:
                copies.append([b.pose.yaw, b.pose.pitch, b.pose.roll])
        if len(copies) >= 2:
            jitter_sd.append(np.std(np.array(copies + [base]), axis=0, ddof=1))
        f = checker.analyser.analyse(np.ascontiguousarray(img[:, ::-1]), checker.rules, segment=False)
        if f.pose is not None:
            mirror.append(np.abs([base[0] + f.pose.yaw, base[1] - f.pose.pitch, base[2] + f.pose.roll]) / 2)
    allp = np.array([x for v in per.values() for x in v])
    offset = float(np.median(allp[:, 1]))
    meds = np.array([np.median(np.array(v), axis=0) for v in per.values()])
    within = np.array([np.std(np.array(v), axis=0) for v in per.values() if len(v) > 1])
    jit = np.sqrt(np.mean(np.square(jitter_sd), axis=0))
    mir = np.percentile(np.array(mirror), 90, axis=0)
    lines = [
        f"Head pose on frontal_orl's {len(per)} calibration people ({len(allp)} photos; pitch less the median "
        f"{offset:.1f} deg, profile `pose.pitch_offset_deg` = {p.get('pose.pitch_offset_deg')}):\n",
        "| angle | median abs | p90 abs | p95 abs | estimator: shifted copies (rms sd) | estimator: mirror (p90) "
        "| between people (sd of medians) | within a person (median sd) | final limit | beyond it | hint limit |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for i, k in enumerate(("yaw", "pitch", "roll")):
        x = allp[:, i] - (offset if k == "pitch" else 0.0)
        lim, hint = float(p.get(f"pose.{k}_deg")), float(p.get(f"pose.hint_{k}_deg"))
        p90, p95 = np.percentile(abs(x), [90, 95])
        lines.append(f"| {k} | {np.median(abs(x)):.1f} | {p90:.1f} | {p95:.1f} "
                     f"| {jit[i]:.2f} | {mir[i]:.2f} | {meds[:, i].std():.1f} | {np.median(within[:, i]):.1f} "
                     f"| {lim:.0f} | {np.mean(abs(x) > lim):.1%} | {hint:.0f} |")  # fmt: skip
    lines += ["", "Against the pose labels (`bench/frontal_labels.py` POSE, the same calibration people): the share "
              "beyond each final limit of the photos labelled for that angle, and of the photos with no pose label:",
              "", "| angle | labelled as | labelled photos | beyond the limit | unlabelled photos | beyond the limit |",
              "| --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for i, (k, kinds) in enumerate((("yaw", ("turned",)), ("pitch", ("chin up", "chin down")), ("roll", ("tilted",)))):
        lim = float(p.get(f"pose.{k}_deg"))
        off = offset if k == "pitch" else 0.0
        hit = [abs(v[i] - off) > lim for lab, v in labelled if any(kind in lab for kind in kinds)]
        clean = [abs(v[i] - off) > lim for lab, v in labelled if not lab]
        lines.append(f"| {k} | {' or '.join(kinds)} | {len(hit)} | {share(hit)} | {len(clean)} | {share(clean)} |")
    return "\n".join(lines)


def eyes_section(checker: ComplianceChecker, folder: Path, frontal: list[Judged],
                 faces: list[Judged]) -> tuple[str, dict[str, float]]:  # fmt: skip
    """Closed eyes caught: the hand-labelled shut eyes of frontal_orl, winks made from them (one shut eye
    pasted onto the same person's open-eyed photo), and what the check does to compliant photos. Also
    the two caught shares, for the targets."""

    def fails(j: Judged) -> bool:
        c = j.report.checks.get("eyes_open")
        return c is None or not c.passed

    closed = [j for j in frontal if stem(j.file) in CLOSED_EYES]
    open_ = [j for j in frontal if j.compliant]
    winks, caught = 0, 0
    for j in closed:
        person = [o for o in open_ if o.person == j.person]
        if not person:
            continue
        donor = cv2.imread(str(folder / j.file))
        for side in ("right", "left"):
            target = person[(winks // 2) % len(person)]
            img = wink(checker.analyser, cv2.imread(str(folder / target.file)), donor, side)
            if img is None:
                continue
            winks += 1
            c = checker.check(img).checks.get("eyes_open")
            caught += c is None or not c.passed
    narrow = [j for j in faces if j.compliant and j.part != "frontal_orl" and j.truth.get("narrow_eyes") == 1]
    lines = [
        "| eyes | photos | eyes_open fails |",
        "| --- | --- | --- |",
        f"| frontal_orl, both eyes shut (hand-labelled, all people) | {len(closed)} "
        f"| {share([fails(j) for j in closed])} |",
        f"| frontal_orl, one eye shut (winks made from them) | {winks} | {caught / winks:.1%} |" if winks else "",
        f"| frontal_orl, compliant photos (all people) | {len(open_)} | {share([fails(j) for j in open_])} |",
        f"| faces held-out, compliant, labelled narrow eyes | {len(narrow)} | {share([fails(j) for j in narrow])} |",
    ]
    rates = {
        "both eyes shut": float(np.mean([fails(j) for j in closed])) if closed else float("nan"),
        "one eye shut (winks)": caught / winks if winks else float("nan"),
    }
    return "\n".join(x for x in lines if x), rates


def targets_table(test: list[Judged], frontal: list[Judged], profile: Profile, eyes: dict[str, float],
                  check_ms: float) -> str:  # fmt: skip
    """Every target of the first-shot-right work, with the value measured here and met or missed."""
    formats = {"percent": lambda x: f"{x:.1%}", "accuracy": lambda x: f"{x:.3f}", "ms": lambda x: f"{x:.0f}"}
    rows: list[tuple[str, float, float, bool, str]] = []  # what, value, limit, higher is better, kind
    sets = [(name, [j for j in test if j.part == part and j.compliant], 0.10)
            for name, part in (("aligned crops", "aligned89"), ("wild photos", "wild"))]  # fmt: skip
    sets.append(("frontal_orl", [j for j in frontal if j.compliant], 0.05))
    for name, ok, limit in sets:
        if ok:
            rows.append((f"false rejects, {name}", float(np.mean([verdict(j) == "rejected" for j in ok])), limit,
                         False, "percent"))  # fmt: skip
            rows.append((f"asked, {name}", float(np.mean([verdict(j) == "asked" for j in ok])), 0.10, False, "percent"))
    presence = None if profile.get("glasses") == "forbidden" else float(profile.get("attributes.glasses"))
    for check, goal in (("glasses", 0.95), ("mouth_closed", 0.95), ("head_covering", 0.95), ("jewellery", 0.90),
                        ("heavy_makeup", 0.90), ("eyebrows_visible", 0.90)):  # fmt: skip
        for name, part in (("aligned", "aligned89"), ("wild", "wild")):
            sel = [j for j in test if j.part == part]
            if sel and any(check in j.report.checks for j in sel):
                bacc = metrics(sel, check, presence, False)["bacc"]
                rows.append((f"balanced accuracy, {check}, {name}", bacc, goal, True, "accuracy"))
    rows += [(f"closed eyes caught, {k}", v, 0.90, True, "percent") for k, v in eyes.items()]
    rows.append(("full check of a 12 MP still, median ms", check_ms, 150.0, False, "ms"))
    lines = ["| target | measured | limit | |", "| --- | --- | --- | --- |"]
    for what, value, limit, higher, kind in rows:
        met = value >= limit if higher else value <= limit
        show = formats[kind]
        lines.append(f"| {what} | {show(value)} | {'>=' if higher else '<='} {show(limit)} "
                     f"| {'met' if met else '**missed**'} |")  # fmt: skip
    return "\n".join(lines)


# --- booth timings ------------------------------------------------------------------------------------

_BOOTH_RUN = """
import json, resource, sys, time
import cv2, numpy as np
from kiosk.vision.checker import ComplianceChecker
still_path, profile, runs, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
checker = ComplianceChecker(profile, num_threads=threads)
still = cv2.imread(still_path)
preview = cv2.resize(still[228:2812], (1280, 720), interpolation=cv2.INTER_AREA)
full, hints = [], []
for _ in range(runs):
    t0 = time.perf_counter(); checker.check(still); full.append((time.perf_counter() - t0) * 1000)
for _ in range(runs):
    t0 = time.perf_counter(); checker.live_hints(preview); hints.append((time.perf_counter() - t0) * 1000)
# VmHWM is this process's own high-water mark (ru_maxrss would include the parent's, kept across exec).
hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM:")]
peak = int(hwm[0].split()[1]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"full": full, "hints": hints, "peak_mb": peak}))
"""


def timing(values: list[float]) -> tuple[float, float]:
    return statistics.median(values), float(np.percentile(values, 95))


def booth_timings(checker: ComplianceChecker, folder: Path, portrait: str, runs: int, profile: str,
                  threads: int) -> dict:  # fmt: skip
    """Time the booth workload in a fresh process, so its peak memory is the checker's own: a
    synthetic 4056x3040 still (the portrait on the backdrop) and a 1280x720 preview cut from it."""
    import json
    import subprocess
    import tempfile

    still = booth_scene(checker.analyser, cv2.imread(str(folder / portrait)), (4056, 3040), face_px=420)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "still.png"
        cv2.imwrite(str(path), still)
        del still
        root = Path(__file__).resolve().parents[1]
        out = subprocess.run(
            [sys.executable, "-c", _BOOTH_RUN, str(path), profile, str(runs), str(threads)],
            cwd=root, capture_output=True, text=True, check=True,
        )  # fmt: skip
    got = json.loads(out.stdout.strip().splitlines()[-1])
    return {"still": timing(got["full"]), "hints": timing(got["hints"]), "peak_mb": got["peak_mb"]}


# --- the two modes ------------------------------------------------------------------------------------


def frontal_folder(faces: Path, given: Path | None) -> Path | None:
    folder = given or faces.parent / "frontal_orl"
    return folder if folder.is_dir() else None


def subset_markdown(faces: Path, frontal: Path | None, profile: str = "chsi") -> str:
    """The README's subset tables: fixed held-out photos, the shipped profile, one thread."""
    checker = ComplianceChecker(profile, num_threads=1)
    rows = subset_rows(faces_rows(faces, 0, profile_forbids_glasses(checker.profile)),
                       frontal_rows(frontal) if frontal else [])  # fmt: skip
    judged = judge(checker, faces, [r for r in rows if r["part"] != "frontal_orl"])
    if frontal:
        judged += judge(checker, frontal, [r for r in rows if r["part"] == "frontal_orl"])
    n = {p: sum(j.part == p for j in judged) for p in PART_NAMES}
    head = (f"Subset: the first {n['aligned89']} aligned crops and {n['wild']} wild photos of held-out people in "
            f"faces, {n['frontal_orl']} photos of the first held-out people in frontal_orl.")  # fmt: skip
    return head + "\n\n" + verdict_markdown(judged, profile)


README = Path(__file__).resolve().parents[1] / "README.md"
BEGIN, END = "<!-- compliance-subset:begin -->", "<!-- compliance-subset:end -->"


def readme_block(readme: Path) -> str:
    """The subset tables the README holds (between the markers)."""
    text = readme.read_text(encoding="utf-8")
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip()


def write_readme_block(readme: Path, block: str) -> None:
    text = readme.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    readme.write_text(f"{head}{BEGIN}\n{block.strip()}\n{END}{rest.split(END, 1)[1]}", encoding="utf-8")


def profile_forbids_glasses(p: Profile) -> bool:
    return p.get("glasses") == "forbidden"


def full_run(args: argparse.Namespace) -> None:
    checker = ComplianceChecker(args.profile, num_threads=args.threads)
    profile = checker.profile
    rows = faces_rows(args.folder, args.aligned, profile_forbids_glasses(profile))
    calib_rows = [r for r in rows if not r["held"]]
    calib = judge(checker, args.folder, calib_rows)
    pairs = blur_pairs_of(checker, args.folder, calib_rows)
    cal = calibrate(calib, pairs, profile)
    test = judge(checker, args.folder, [r for r in rows if r["held"]])
    frontal = frontal_folder(args.folder, args.frontal)
    f_rows = frontal_rows(frontal) if frontal else []
    f_all = judge(checker, frontal, f_rows) if frontal else []
    booth = booth_timings(checker, args.folder, "celeba_wild_019167.jpg", args.runs, args.profile, args.threads)
    bench_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"## Compliance bench ({args.profile}; faces: calibration {len(calib)}, held-out {len(test)} photos; "
          f"frontal_orl: {len(f_all)} photos, {sum(j.held for j in f_all)} of held-out people)\n")  # fmt: skip
    print("### Whole verdict\n")
    print(verdict_markdown(test + [j for j in f_all if j.held], args.profile))
    print(f"\nOn frontal_orl the checks that do not apply to 92x112 grey photos are left out: {NOT_ON_GREY}.\n")
    print("### Calibration suggestions (faces, calibration half; the held-out figures use the profile as shipped)\n")
    for k, v in cal.items():
        print(f"- `{k}` = {v} (profile: {profile.get(k)})")
    if pairs:
        thr = float(profile.get("sharpness.min_laplacian_var"))
        print(f"- sharpness: {len(pairs)} sharp wild faces; sigma-1.5 blurred copies caught: "
              f"{np.mean([b < thr for _, b in pairs]):.0%}")  # fmt: skip
    if frontal:
        print("\n### Head pose\n")
        print(pose_scatter(checker, frontal, [r for r in f_rows if not r["held"]]))
        print("\n### Eyes\n")
        eyes_text, eyes = eyes_section(checker, frontal, f_all, test)
        print(eyes_text)
    for part in ("aligned89", "wild"):
        sel = [j for j in test if j.part == part]
        if not sel:
            continue
        ms_med, ms_p95 = timing([j.ms for j in sel])
        print(f"\n### Held-out {part} ({len(sel)} photos; median {ms_med:.0f} ms, p95 {ms_p95:.0f} ms per photo)\n")
        print(accuracy_table(sel, profile))
        line = lens_line(sel, profile)
        if line:
            print(f"\n{line}")
        print(f"\nEvery check on the {sum(j.compliant for j in sel)} compliant photos (share it fails, asks; "
              "press photos are not booth stills, so placement, background and light fail most):\n")  # fmt: skip
        print(all_checks_table(sel))
    s_med, s_p95 = booth["still"]
    h_med, h_p95 = booth["hints"]
    print("\n### Booth timings\n")
    print("| what | median ms | p95 ms | target |")
    print("| --- | --- | --- | --- |")
    print(f"| full check, 4056x3040 still | {s_med:.0f} | {s_p95:.0f} | <= 150 |")
    print(f"| live hints, 1280x720 frame | {h_med:.0f} | {h_p95:.0f} | <= 40 |")
    print(f"| peak memory, checker process (RSS: models, 12 MP still, check + hints) | {booth['peak_mb']:.0f} MB | "
          "| <= 350 MB |")  # fmt: skip
    print(f"\n(The bench process itself, holding every report and the synthetic still: {bench_peak_mb:.0f} MB.)")
    print("\n### Targets (held-out people; press photos on the labels above)\n")
    print(targets_table(test, [j for j in f_all if j.held], profile, eyes if frontal else {}, s_med))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path, help="the labelled faces folder (labels.csv, meta.csv)")
    ap.add_argument("--frontal", type=Path, help="the frontal_orl folder (default: beside the faces folder)")
    ap.add_argument("--profile", default="chsi")
    ap.add_argument("--aligned", type=int, default=2000, help="aligned crops to use (sampled; 0 = all)")
    ap.add_argument("--runs", type=int, default=15, help="repetitions for the booth timings")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--subset", action="store_true", help="only the README's small fixed subset")
    ap.add_argument("--update-readme", action="store_true", help="with --subset: write the tables into README.md")
    args = ap.parse_args(argv)
    if not (args.folder / "labels.csv").is_file():
        print(f"compliance bench: no labels.csv in {args.folder}", file=sys.stderr)
        return 2
    if args.subset:
        text = subset_markdown(args.folder, frontal_folder(args.folder, args.frontal), args.profile)
        print(text)
        if args.update_readme:
            write_readme_block(README, text)
    else:
        full_run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
