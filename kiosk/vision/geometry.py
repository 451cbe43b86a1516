"""The 480x640 placement solver of photo-spec section 1.5, steps 1-5.

The registration photo must show the face width 180-300 px, the eye line 200-300 px and the crown
50-110 px from the top, the pupil midpoint 240 +/- 12 px from the left, without upscaling and with the
crop wholly inside the source (never pad, never stretch). Every one of those rules is linear in the
scale ``s`` (output px per source px) once the offsets are chosen, so the solver first reduces them to
one interval of feasible scales ``[low, high]``; each bound remembers which rule it came from, so an
empty interval names the direction that would fix it. Inside the interval it takes the scale closest to
the face-width target (step 2), then the vertical offset closest to the eye-line target (step 3) and the
horizontal offset that centres the pupils (step 4). The crop is snapped to whole source pixels with an
exact 3:4 shape, and the achieved geometry is recomputed from the snapped rectangle, so the numbers
reported are the numbers in the file.

Coordinates: source pixels, origin top-left, y down; ``output = s * (source - crop origin)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from kiosk.vision.report import FaceGeometry, Message

# Reasons a placement can fail, with the spec's section 6 `head_geometry` messages. "Left"/"right" are
# the student's own: a face near the image's left edge (un-mirrored) is on the student's right, so the
# student must move to their left (spec section 5).
MESSAGES: dict[str, Message] = {
    "too_far": Message("请靠近一点", "Please come a little closer."),
    "too_close": Message("请后退一点", "Please move back a little."),
    "move_left": Message("请向左移一点", "Please move a little to your left"),
    "move_right": Message("请向右移一点", "Please move a little to your right"),
    "head_cut_off": Message("请坐低一点，头顶要留空", "Please sit a little lower"),
    # Crown-to-eye distance and face width that no scale can fit at once: a turned head, a hat or a
    # wrong measurement, never the student's distance; the pose message is the useful hint.
    "proportions": Message("请正对镜头，不要侧脸", "Please face the camera straight on."),
    "no_face": Message("未检测到人脸，请正对镜头", "No face found, please face the camera."),
    # The camera (or a file given to `kiosk check`) has fewer pixels than the output needs: a setup
    # fault, for staff; saying "could not be saved" would blame the disk.
    "source_too_small": Message("照片像素不足，请联系工作人员", "Too few pixels for the photo, please ask staff"),
}


class GeometryError(Exception):
    """No placement satisfies the rules; ``reason`` is a key of ``MESSAGES`` (the fix to ask for)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.message = MESSAGES[reason]
        self.detail = detail
        super().__init__(f"{reason}: {self.message.en}" + (f" ({detail})" if detail else ""))


@dataclass(frozen=True)
class GeometryRules:
    """Target ranges in output pixels (profile table ``[geometry]``); defaults are the ``chsi`` values."""

    out_w: int = 480
    out_h: int = 640
    crown_px: tuple[float, float] = (50.0, 110.0)
    eye_line_px: tuple[float, float] = (200.0, 300.0)
    face_width_px: tuple[float, float] = (180.0, 300.0)
    centre_tolerance_px: float = 12.0
    target_crown: float = 80.0
    target_eye_line: float = 250.0
    target_face_width: float = 240.0
    max_scale: float = 1.0

    @classmethod
    def from_profile(cls, profile: Any) -> GeometryRules:
        """Read ``geometry.*`` from a policy profile (anything with ``get("dotted.key")``)."""
        targets = profile.get("geometry.targets")
        return cls(
            crown_px=_pair(profile.get("geometry.crown_px")),
            eye_line_px=_pair(profile.get("geometry.eye_line_px")),
            face_width_px=_pair(profile.get("geometry.face_width_px")),
            centre_tolerance_px=float(profile.get("geometry.centre_tolerance_px")),
            target_crown=float(targets["crown"]),
            target_eye_line=float(targets["eye_line"]),
            target_face_width=float(targets["face_width"]),
            max_scale=float(_optional(profile, "geometry.max_scale", 1.0)),
        )


@dataclass(frozen=True)
class HeadMeasure:
    """The four source measurements the solver needs (spec 1.5): crown y, pupil midpoint, face width."""

    crown_y: float
    eye_x: float
    eye_y: float
    face_width: float
    chin_y: float | None = None

    @classmethod
    def from_face(cls, geometry: FaceGeometry | None) -> HeadMeasure:
        """From the checker's geometry; no face, or a face without the measurements, is a GeometryError."""
        if geometry is None:
            raise GeometryError("no_face", "no face in the still")
        if geometry.crown_y is None or geometry.eye_mid is None or geometry.face_width is None:
            raise GeometryError("no_face", "crown, eyes or face width not measured")
        return cls(
            crown_y=float(geometry.crown_y),
            eye_x=float(geometry.eye_mid[0]),
            eye_y=float(geometry.eye_mid[1]),
            face_width=float(geometry.face_width),
            chin_y=None if geometry.chin_y is None else float(geometry.chin_y),
        )


@dataclass(frozen=True)
class AchievedGeometry:
    """What the output shows, in output pixels; ``centre_offset_px`` > 0 means right of centre."""

    crown_px: float
    eye_line_px: float
    face_width_px: float
    centre_offset_px: float
    chin_px: float | None
    scale: float

    def to_dict(self) -> dict[str, float | None]:
        def r(v: float | None) -> float | None:
            return None if v is None else round(v, 2)

        return {
            "crown_px": r(self.crown_px),
            "eye_line_px": r(self.eye_line_px),
            "face_width_px": r(self.face_width_px),
            "centre_offset_px": r(self.centre_offset_px),
            "chin_px": r(self.chin_px),
            "scale": round(self.scale, 5),
        }


@dataclass(frozen=True)
class Placement:
    """The crop rectangle in whole source pixels (exactly the output's aspect) and what it achieves."""

    x0: int
    y0: int
    width: int
    height: int
    out_w: int
    out_h: int
    achieved: AchievedGeometry

    @property
    def scale(self) -> float:
        return self.out_w / self.width

    @property
    def rect(self) -> tuple[int, int, int, int]:
        return (self.x0, self.y0, self.width, self.height)


@dataclass(frozen=True)
class _Bound:
    value: float
    rule: str
    reason: str  # the fix to ask for when this bound cannot be met


_BANDS = ("face_width", "crown_to_eye")
_EPS = 1e-6


def solve(head: HeadMeasure, source_w: int, source_h: int, rules: GeometryRules = GeometryRules()) -> Placement:
    """Place the head in the output frame (spec 1.5 steps 1-5); GeometryError names the fix if impossible."""
    r = rules
    if source_w < r.out_w or source_h < r.out_h:
        raise GeometryError("source_too_small", f"source {source_w}x{source_h} < {r.out_w}x{r.out_h}")
    if head.face_width <= 0 or head.eye_y - head.crown_y <= 0:
        raise GeometryError("no_face", "face width or crown-to-eye distance not positive")
    lows, highs = _scale_bounds(head, source_w, source_h, r)
    low = max(lows, key=lambda b: b.value)
    high = min(highs, key=lambda b: b.value)
    if low.value > high.value + _EPS:
        raise GeometryError(
            _reason(low, high, r.max_scale),
            f"needs scale >= {low.value:.4g} ({low.rule}) and <= {high.value:.4g} ({high.rule})",
        )
    s_target = min(max(r.target_face_width / head.face_width, low.value), high.value)
    placement = _snap(head, source_w, source_h, r, s_target, low.value, high.value)
    if placement is None:
        raise GeometryError(
            low.reason if low.rule not in _BANDS else "too_far",
            f"feasible scales {low.value:.6g}-{high.value:.6g} too narrow for whole pixels",
        )
    return placement


def _scale_bounds(h: HeadMeasure, w_src: int, h_src: int, r: GeometryRules) -> tuple[list[_Bound], list[_Bound]]:
    """Every rule of 1.5 as a bound on s, after eliminating the offsets (see the module docstring).

    Vertical: ty must lie in the band range [max(eye_lo - s e, crown_lo - s c), min(eye_hi - s e,
    crown_hi - s c)] and in the frame range [out_h - s H, 0]; an intersection of intervals is non-empty
    when every lower end is below every upper end, and each such pair is linear in s. Horizontal
    likewise with tx in [out_w/2 -/+ tol - s mx] and [out_w - s W, 0].
    """
    (cr_lo, cr_hi), (ey_lo, ey_hi), (fw_lo, fw_hi) = r.crown_px, r.eye_line_px, r.face_width_px
    c, e, mx, f = h.crown_y, h.eye_y, h.eye_x, h.face_width
    d = e - c
    half = r.out_w / 2 - r.centre_tolerance_px

    def over(num: float, den: float) -> float:
        return num / den if den > 0 else math.inf

    lows = [
        _Bound(fw_lo / f, "face_width", "too_far"),
        _Bound((ey_lo - cr_hi) / d, "crown_to_eye", "too_far"),
        _Bound(r.out_w / w_src, "frame_width", "too_close"),
        _Bound(r.out_h / h_src, "frame_height", "too_close"),
        _Bound(over(ey_lo, e), "eye_below_top", "head_cut_off"),
        _Bound(over(cr_lo, c), "crown_below_top", "head_cut_off"),
        _Bound(over(r.out_h - ey_hi, h_src - e), "eye_above_bottom", "too_close"),
        _Bound(over(r.out_h - cr_hi, h_src - c), "crown_above_bottom", "too_close"),
        _Bound(over(half, mx), "left_edge", "move_left"),
        _Bound(over(half, w_src - mx), "right_edge", "move_right"),
    ]
    highs = [
        _Bound(fw_hi / f, "face_width", "too_close"),
        _Bound((ey_hi - cr_lo) / d, "crown_to_eye", "too_close"),
        _Bound(r.max_scale, "no_upscaling", "too_far"),
    ]
    return lows, highs


def _reason(low: _Bound, high: _Bound, max_scale: float) -> str:
    """Which fix to ask for when the binding lower bound exceeds the binding upper bound."""
    if low.rule in _BANDS:
        # The face is too small for the rules even at full resolution, or its proportions fit no scale.
        return "too_far" if high.rule == "no_upscaling" or low.value > max_scale else "proportions"
    return low.reason


def _snap(
    h: HeadMeasure, w_src: int, h_src: int, r: GeometryRules, s_target: float, s_low: float, s_high: float
) -> Placement | None:
    """Whole-pixel crop of exactly the output's aspect, nearest the target scale, offsets per steps 3-4."""
    g = math.gcd(r.out_w, r.out_h)
    aw, ah = r.out_w // g, r.out_h // g
    k_min = math.ceil(g / s_high - _EPS)
    k_max = math.floor(g / s_low + _EPS)
    if k_min > k_max:
        return None
    k0 = min(max(round(g / s_target), k_min), k_max)
    candidates = sorted(range(max(k_min, k0 - 4), min(k_max, k0 + 4) + 1), key=lambda k: abs(g / k - s_target))
    for k in candidates:
        placed = _place_at(h, w_src, h_src, r, k * aw, k * ah)
        if placed is not None:
            return placed
    return None


def _place_at(h: HeadMeasure, w_src: int, h_src: int, r: GeometryRules, cw: int, ch: int) -> Placement | None:
    s = r.out_w / cw
    (cr_lo, cr_hi), (ey_lo, ey_hi) = r.crown_px, r.eye_line_px
    # Vertical: output y = s * (y - y0); crop origin y0 in whole pixels.
    y0_lo = max(h.eye_y - ey_hi / s, h.crown_y - cr_hi / s, 0.0)
    y0_hi = min(h.eye_y - ey_lo / s, h.crown_y - cr_lo / s, float(h_src - ch))
    y0 = _nearest_int(h.eye_y - r.target_eye_line / s, y0_lo, y0_hi)
    # Horizontal: pupils at out_w/2, or as near as the frame allows within the tolerance.
    tol = r.centre_tolerance_px
    x0_lo = max(h.eye_x - (r.out_w / 2 + tol) / s, 0.0)
    x0_hi = min(h.eye_x - (r.out_w / 2 - tol) / s, float(w_src - cw))
    x0 = _nearest_int(h.eye_x - r.out_w / 2 / s, x0_lo, x0_hi)
    if y0 is None or x0 is None:
        return None
    achieved = AchievedGeometry(
        crown_px=s * (h.crown_y - y0),
        eye_line_px=s * (h.eye_y - y0),
        face_width_px=s * h.face_width,
        centre_offset_px=s * (h.eye_x - x0) - r.out_w / 2,
        chin_px=None if h.chin_y is None else s * (h.chin_y - y0),
        scale=s,
    )
    return Placement(x0, y0, cw, ch, r.out_w, r.out_h, achieved)


def _nearest_int(target: float, lo: float, hi: float) -> int | None:
    """The whole number in [lo, hi] nearest ``target``, or None when the range holds none."""
    first, last = math.ceil(lo - _EPS), math.floor(hi + _EPS)
    if first > last:
        return None
    return min(max(round(target), first), last)


def within(achieved: AchievedGeometry, rules: GeometryRules = GeometryRules(), eps: float = 1e-6) -> bool:
    """True when the achieved geometry satisfies every range of the rules (used by tests and callers)."""
    a, r = achieved, rules
    return (
        r.crown_px[0] - eps <= a.crown_px <= r.crown_px[1] + eps
        and r.eye_line_px[0] - eps <= a.eye_line_px <= r.eye_line_px[1] + eps
        and r.face_width_px[0] - eps <= a.face_width_px <= r.face_width_px[1] + eps
        and abs(a.centre_offset_px) <= r.centre_tolerance_px + eps
        and a.scale <= r.max_scale + eps
    )


def _pair(value: Any) -> tuple[float, float]:
    lo, hi = value
    return (float(lo), float(hi))


def _optional(profile: Any, key: str, default: float) -> Any:
    try:
        return profile.get(key)
    except (KeyError, ValueError):
        return default
