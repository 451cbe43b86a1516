"""The demo's cast: which portraits ``kiosk demo --photos DIR`` poses, so a first-time user sees the real mix.

A folder of press photos is a mixed lot: most break a rule or several (a turned head, earrings, an open
mouth, a blue top), a few pass. Posing them in file order shows a newcomer a wall of rejections, or a pass
with nothing to explain. So at start a background thread runs the booth's own check on candidates, within
a time budget, and keeps a small cast: portraits the check passes and portraits it fails for one or two
clear reasons (different ones). The booth then poses a failure first (one a retake can fix, when the cast
has one) and a pass on the retake, so within the first two shots the user sees a rejection with its
reasons and a photo that is accepted.

Candidates are ordered by the folder's ``labels.csv`` where there is one (the shared set's README: 0/1
columns such as glasses, hat, earrings): photos labelled free of every fault come first, interleaved with
photos labelled with a fault a person can see (glasses, a hat, an open mouth), then the rest, each group
in a fixed shuffled order. Labels only order the search; what the cast holds is what the checker says.
Until the cast has a portrait of the kind wanted, the next candidate is posed unchecked.
"""

from __future__ import annotations

import csv
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.booth.review import staff_only

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
# Labels (faces README) that mean a portrait breaks a rule, and those a person sees at a glance.
FAULT_LABELS = ("glasses", "hat", "mouth_open", "earrings", "necklace", "heavy_makeup", "bangs", "blurry")
VISIBLE_FAULTS = ("glasses", "hat", "mouth_open")
CLEAR_REASONS = 2  # a failure with at most this many reasons is one a newcomer can follow
# Checks the demo's scene cannot pose faithfully: a press photo ends at the chest, so the backdrop shows
# where the student's top and shoulders would be, and a dark suit reads as a blue top. A portrait failing
# one of them is not posed as a clear failure (it may still stand in when nothing clearer is found).
SCENE_ARTEFACTS = frozenset({"clothing_not_blue", "shoulders_level"})
SEED = 12

SceneMaker = Callable[[np.ndarray], np.ndarray]  # portrait -> booth still (ValueError: no face)
Check = Callable[[np.ndarray], Any]  # booth still -> Report


@dataclass(frozen=True)
class Portrait:
    """A booth still to pose, with what the booth's check said of it (None: not checked yet)."""

    scene: np.ndarray
    source: str
    passed: bool | None = None
    reasons: tuple[str, ...] = ()  # failed check ids, in the review screen's order
    staff: bool = False  # a failure posing again cannot fix (a blue top): the booth sends it to staff


def candidates(folder: Path, seed: int = SEED) -> list[Path]:
    """The folder's photos in the order worth checking (see the module docstring)."""
    wild = sorted(folder.glob("celeba_wild_*"))  # the shared set's in-the-wild photos: booth-like
    files = wild or sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    labels = read_labels(folder / "labels.csv")
    if not labels:
        return files
    clean, visible, rest = [], [], []
    for path in files:
        row = labels.get(path.name, {})
        if row and all(row.get(k) == "0" for k in FAULT_LABELS):
            clean.append(path)
        elif any(row.get(k) == "1" for k in VISIBLE_FAULTS):
            visible.append(path)
        else:
            rest.append(path)
    rng = random.Random(seed)
    for group in (clean, visible, rest):
        rng.shuffle(group)
    return _interleave(clean, visible) + rest


def _interleave(a: Sequence[Path], b: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for i in range(max(len(a), len(b))):
        out.extend(group[i] for group in (a, b) if i < len(group))
    return out


def read_labels(path: Path) -> dict[str, dict[str, str]]:
    """``labels.csv`` as {file: {column: value}}; empty when there is none or it cannot be read."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            return {row["file"]: row for row in csv.DictReader(fh) if row.get("file")}
    except (OSError, KeyError, csv.Error, UnicodeDecodeError):
        return {}


class Cast:
    """Finds the cast in a background thread (``start``) and hands out portraits to pose (``next``).

    ``budget_s`` bounds the search; it stops early once it holds ``passes`` passes and ``failures``
    clear failures with different first reasons. Thread-safe: the search runs on its own thread, ``next``
    on the booth's.
    """

    def __init__(
        self,
        files: Sequence[Path],
        make_scene: SceneMaker,
        check: Check,
        budget_s: float = 60.0,
        passes: int = 2,
        failures: int = 3,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.files = list(files)
        self.make_scene = make_scene
        self.check = check
        self.budget_s = budget_s
        self.want_passes = passes
        self.want_failures = failures
        self.clock = clock
        self.passes: list[Portrait] = []
        self.failures: list[Portrait] = []  # clear ones, each with a different first reason
        self._murky: list[Portrait] = []  # failures with many reasons: used only if nothing clearer
        self.checked = 0
        self.found_at: dict[str, float] = {}  # "pass" / "fail": seconds from start to the first one kept
        self._started = 0.0
        self.done = threading.Event()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._turn = 0
        self._served = {"pass": 0, "fail": 0}
        self._unchecked: Iterator[Path] = iter(self.files)

    # -- the search -------------------------------------------------------------------------------
    def start(self) -> Cast:
        self._thread = threading.Thread(target=self.run, name="demo-cast", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def complete(self) -> bool:
        with self._lock:
            return len(self.passes) >= self.want_passes and len(self.failures) >= self.want_failures

    def run(self) -> None:
        """Check candidates until the cast is complete, the budget is spent or the folder is done."""
        started = self._started = self.clock()
        try:
            for path in self.files:
                if self._stop.is_set() or self.complete() or self.clock() - started >= self.budget_s:
                    break
                portrait = self._judge(path)
                if portrait is not None:
                    self._keep(portrait)
        except Exception:  # the demo goes on with what it has
            log.exception("demo: choosing portraits failed")
        finally:
            self.done.set()
            log.info("demo: %s", self.summary(self.clock() - started))

    def _judge(self, path: Path) -> Portrait | None:
        scene = self._scene(path)
        if scene is None:
            return None
        report = self.check(scene)
        self.checked += 1
        reasons = tuple(f.id for f in report.failures())
        return Portrait(scene, path.name, bool(report.passed), reasons, staff_only(report))

    def _scene(self, path: Path) -> np.ndarray | None:
        from kiosk.hw.replay import read_image

        image = read_image(path)  # None for an unreadable file or one over the pixel limit
        if image is None:
            return None
        try:
            return self.make_scene(image)
        except ValueError:  # no face in it
            return None

    def _keep(self, p: Portrait) -> None:
        with self._lock:
            if p.passed:
                if len(self.passes) < self.want_passes:
                    self.passes.append(p)
                    self.found_at.setdefault("pass", self.clock() - self._started)
            elif len(p.reasons) <= CLEAR_REASONS and not SCENE_ARTEFACTS.intersection(p.reasons):
                firsts = {f.reasons[0] for f in self.failures}
                if p.reasons[0] not in firsts and len(self.failures) < self.want_failures:
                    self.failures.append(p)
                    # A failure a retake can fix goes first: after one only staff can fix (a blue top)
                    # the booth offers no retake, and the pass would wait for the next student.
                    self.failures.sort(key=lambda f: f.staff)
                    self.found_at.setdefault("fail", self.clock() - self._started)
            elif len(self._murky) < self.want_failures:
                self._murky.append(p)
                self._murky.sort(key=lambda m: len(m.reasons))

    def summary(self, seconds: float) -> str:
        with self._lock:
            fails = [f"{f.source} ({', '.join(f.reasons)})" for f in self.failures or self._murky]
            passes = [p.source for p in self.passes]
        head = f"checked {self.checked} portraits in {seconds:.0f} s"
        if not passes:
            return f"{head}; none passed the check, so the demo shows only failures: {'; '.join(fails) or 'none'}"
        return f"{head}; passes: {', '.join(passes)}; failures: {'; '.join(fails) or 'none'}"

    # -- posing -----------------------------------------------------------------------------------
    def next(self) -> Portrait | None:
        """The next portrait to pose: a failure, then a pass, and so on; None when there is nothing."""
        want = "fail" if self._turn % 2 == 0 else "pass"
        with self._lock:
            kinds = {"fail": self.failures or self._murky, "pass": self.passes}
            for kind in (want, "pass" if want == "fail" else "fail"):
                pool = kinds[kind]
                if pool:
                    pick = pool[self._served[kind] % len(pool)]
                    self._served[kind] += 1
                    self._turn += 1
                    return pick
        return self._unchecked_next()

    def _unchecked_next(self) -> Portrait | None:
        """Nothing checked yet: the next candidate as it is (label order puts likely passes first)."""
        for path in self._unchecked:
            scene = self._scene(path)
            if scene is not None:
                return Portrait(scene, path.name)
        return None
