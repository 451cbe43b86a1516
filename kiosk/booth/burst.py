"""Choosing the still of a burst, so that a blink does not cost the student a retake.

The shutter takes a short burst (``booth.burst_count`` stills, ``booth.burst_gap_s`` apart). The first
still is judged; only when it fails on checks a moment changes (``MOMENTARY``: eyes, gaze, mouth,
expression, head pose, sharpness) is the next one judged, and the first that passes becomes the
student's photo. A failure that does not change from one still to the next (glasses, jewellery,
clothing, background, light, placement) ends the search at once: judging another still of the same
earrings would only give an unsure classifier a second roll of the dice, a pass the student did not
earn. For the same reason a later still is kept only when it asks every question the first one asked
(a still that passes without the earring question the first raised is not kept). Stills identical to
one already judged (a replay camera holding one picture) are skipped. When no still passes, the first
one's verdict stands, so the review screen shows the moment of the shutter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from kiosk.vision.report import Report

log = logging.getLogger(__name__)

# Checks whose failure a moment later may be gone: a blink, a glance, a half-spoken word, a twitch of
# the head, motion blur.
MOMENTARY = frozenset({"eyes_open", "gaze", "mouth_closed", "expression", "head_pose", "sharpness"})


@dataclass(frozen=True)
class Pick:
    """The still the booth keeps and its verdict."""

    index: int
    still: np.ndarray
    report: Report
    first_failures: tuple[str, ...] = ()  # what the first still failed on when a later one was kept


def momentary_only(report: Report) -> bool:
    """True when the report fails, and fails only on checks a moment can change."""
    failures = report.failures()
    return bool(failures) and all(c.id in MOMENTARY for c in failures)


def _seen(still: np.ndarray, judged: list[np.ndarray]) -> bool:
    """A still equal to one already judged would get the same verdict: a camera that repeats its
    picture (the replay camera holding one photo, as the demo does) must not cost two more checks."""
    return any(still.shape == s.shape and np.array_equal(still, s) for s in judged)


def pick(stills: Sequence[np.ndarray], check: Callable[[np.ndarray], Report]) -> Pick:
    """The first passing still of ``stills`` (oldest first), judging later ones only while every failure
    so far is momentary; the first still and its verdict when none passes. A check that raises on a
    later still ends the search (logged): the first still's verdict is still a verdict."""
    if not stills:
        raise ValueError("a burst holds at least one still")
    first = check(stills[0])
    if first.passed or not momentary_only(first):
        return Pick(0, stills[0], first)
    judged = [stills[0]]
    first_asked = {c.id for c in first.asked()}
    for index, still in enumerate(stills[1:], start=1):
        if _seen(still, judged):
            continue
        judged.append(still)
        try:
            report = check(still)
        except Exception:
            log.exception("the check failed on still %d of the burst; the first still's verdict stands", index + 1)
            break
        if report.passed:
            if first_asked <= {c.id for c in report.asked()}:
                return Pick(index, still, report, tuple(c.id for c in first.failures()))
            continue  # it passes only by leaving out a question the first still asked
        if not momentary_only(report):
            break
    return Pick(0, stills[0], first)
