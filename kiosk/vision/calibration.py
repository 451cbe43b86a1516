"""Calibration of one booth: its backdrop under its own lights, and the pose zero of its camera.

The profile's ``background_ref_lab`` is the spec's light blue, but each booth's cloth, lights and camera
make their own blue: a backdrop a few ΔE off the profile would fail every student. And a camera mounted
a little above or below the eyes shifts every measured head pitch by the same amount. Both are measured
once on the booth (``kiosk calibrate``, or the button in the staff console), stored in the data folder
(``calibration.json``), and the checker uses them instead of the profile's defaults. A calibration older
than ``MAX_AGE_DAYS`` is shown as stale: lamps age and backdrops get moved.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.core.files import atomic_write

CALIBRATION_FILE = "calibration.json"
MAX_AGE_DAYS = 30
GRID = 4  # the backdrop's evenness: medians of GRID x GRID cells
MAX_SPREAD_L = 12.0  # L* spread between the brightest and darkest cell that still counts as even
MISSING, FRESH, STALE = "missing", "fresh", "stale"


class CalibrationError(ValueError):
    """A measurement that cannot be used; the message says what to fix (one line)."""


@dataclass(frozen=True)
class Backdrop:
    """The empty backdrop as this booth's camera sees it under its capture lights."""

    lab: tuple[float, float, float]  # median CIELAB: the reference colour the background check compares with
    spread_l: float  # L* between the brightest and the darkest cell: how even the lighting is
    measured_at: str

    @property
    def even(self) -> bool:
        return self.spread_l <= MAX_SPREAD_L


@dataclass(frozen=True)
class PoseZero:
    """The head pitch the mesh measures for someone seated and looking straight at the lens."""

    pitch_offset_deg: float
    measured_at: str


@dataclass(frozen=True)
class Calibration:
    backdrop: Backdrop | None = None
    pose: PoseZero | None = None

    @classmethod
    def load(cls, data_dir: Path) -> Calibration:
        """The stored calibration; an empty one when there is none (a damaged file counts as none)."""
        try:
            doc = json.loads((Path(data_dir) / CALIBRATION_FILE).read_text(encoding="utf-8"))
            b, p = doc.get("backdrop"), doc.get("pose")
            backdrop = None
            if b:
                lab = (float(b["lab"][0]), float(b["lab"][1]), float(b["lab"][2]))
                backdrop = Backdrop(lab, float(b["spread_l"]), str(b["measured_at"]))
            pose = PoseZero(float(p["pitch_offset_deg"]), str(p["measured_at"])) if p else None
            return cls(backdrop, pose)
        except (OSError, ValueError, KeyError, TypeError):
            return cls()

    def save(self, data_dir: Path) -> Path:
        text = json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"
        return atomic_write(Path(data_dir) / CALIBRATION_FILE, text.encode("utf-8"), mode=0o644)

    def with_backdrop(self, backdrop: Backdrop) -> Calibration:
        return replace(self, backdrop=backdrop)

    def with_pose(self, pose: PoseZero) -> Calibration:
        return replace(self, pose=pose)

    def status(self, now: datetime | None = None, max_age_days: float = MAX_AGE_DAYS) -> str:
        """``missing`` (no backdrop measured), ``stale`` (either part older than max_age_days), ``fresh``."""
        if self.backdrop is None:
            return MISSING
        now = now or datetime.now().astimezone()
        stamps = [self.backdrop.measured_at] + ([self.pose.measured_at] if self.pose else [])
        oldest = min(datetime.fromisoformat(s) for s in stamps)
        return STALE if now - oldest > timedelta(days=max_age_days) else FRESH

    def overrides(self) -> dict[str, Any]:
        """Profile keys this calibration replaces, as dotted keys."""
        out: dict[str, Any] = {}
        if self.backdrop is not None:
            out["background_ref_lab"] = [round(v, 2) for v in self.backdrop.lab]
        if self.pose is not None:
            out["pose.pitch_offset_deg"] = round(self.pose.pitch_offset_deg, 2)
        return out

    def summary(self) -> str:
        parts = []
        if self.backdrop:
            lab = ", ".join(f"{v:.1f}" for v in self.backdrop.lab)
            parts.append(f"backdrop Lab ({lab}), L spread {self.backdrop.spread_l:.1f} ({self.backdrop.measured_at})")
        if self.pose:
            parts.append(f"pose zero {self.pose.pitch_offset_deg:+.1f} deg ({self.pose.measured_at})")
        return "; ".join(parts) or "not calibrated"


def now_stamp() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def measure_backdrop(bgr: np.ndarray, stamp: str | None = None) -> Backdrop:
    """Reference colour and evenness of a still of the empty backdrop (nobody in front of it)."""
    from kiosk.vision.colour import to_lab

    if bgr is None or bgr.ndim != 3 or min(bgr.shape[:2]) < GRID * 8:
        raise CalibrationError("the backdrop picture is empty or too small")
    small = bgr[:: max(1, bgr.shape[0] // 480), :: max(1, bgr.shape[1] // 640)]
    lab = to_lab(small)
    median = np.median(lab.reshape(-1, 3), axis=0)
    h, w = lab.shape[:2]
    cells = [
        float(np.median(lab[r * h // GRID : (r + 1) * h // GRID, c * w // GRID : (c + 1) * w // GRID, 0]))
        for r in range(GRID)
        for c in range(GRID)
    ]
    if median[0] < 15:
        raise CalibrationError(f"the backdrop is too dark (L* {median[0]:.0f}): are the lights on?")
    return Backdrop(
        (float(median[0]), float(median[1]), float(median[2])), max(cells) - min(cells), stamp or now_stamp()
    )


def measure_pose_zero(checker: Any, bgr: np.ndarray, stamp: str | None = None) -> PoseZero:
    """The raw mesh pitch of one person seated and looking at the lens: the booth's pitch zero."""
    analysis = checker.analyse(bgr)
    if not analysis.has_face or analysis.pose is None:
        raise CalibrationError("no face found: sit in the chair, look straight into the lens, and try again")
    return PoseZero(float(analysis.pose.pitch), stamp or now_stamp())


def calibrated(profile: Any, calibration: Calibration | None) -> Any:
    """``profile`` (a ``kiosk.vision.profiles.Profile``) with this booth's measurements in place of its
    defaults; the profile itself is left as it is."""
    import copy

    if calibration is None or not calibration.overrides():
        return profile
    data = copy.deepcopy(profile.data)
    for dotted, value in calibration.overrides().items():
        node = data
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node[part]
        if leaf not in node:
            raise CalibrationError(f"profile {profile.name!r} has no key {dotted!r} to calibrate")
        node[leaf] = value
    return replace(profile, data=data)
