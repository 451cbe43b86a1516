"""The 480x640 placement solver of photo-spec section 1.5.

Given the face measured on the source still (face width ``f`` between mesh points 234 and 454, eye line
``e`` and pupil midpoint ``mx``, crown ``c``), find the scale ``s`` (output px per source px) and offsets
so that the output has face width 180-300, eye line 200-300, crown 50-110, the face centred, without
upscaling and without the crop leaving the source. Preference: face width 240, eye line 250, crown 80.
When no placement exists, say which way the person should move (the person's own left/right: a face
near the image left is on the person's right, so they must move to their left).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OUT_W, OUT_H = 480, 640


@dataclass(frozen=True)
class GeometryRules:
    crown_px: tuple[float, float] = (50, 110)
    eye_line_px: tuple[float, float] = (200, 300)
    face_width_px: tuple[float, float] = (180, 300)
    target_face_width: float = 240
    target_eye_line: float = 250
    max_scale: float = 1.0


@dataclass(frozen=True)
class CropSolution:
    """``problem`` is None when a placement exists; otherwise one of too_far, too_close, move_left,
    move_right, head_cut_off (and the other fields describe the closest attempt, or are None)."""

    problem: str | None
    scale: float | None = None
    tx: float | None = None
    ty: float | None = None

    @property
    def rect(self) -> tuple[float, float, float, float] | None:
        """Crop rectangle in source pixels (x0, y0, width, height)."""
        if self.scale is None or self.tx is None or self.ty is None:
            return None
        s = self.scale
        return (-self.tx / s, -self.ty / s, OUT_W / s, OUT_H / s)

    def output(self, x: float, y: float) -> tuple[float, float]:
        """Where a source point lands in the 480x640 output."""
        assert self.scale is not None and self.tx is not None and self.ty is not None
        return self.scale * x + self.tx, self.scale * y + self.ty


def solve(
    face_width: float,
    eye_y: float,
    eye_mid_x: float,
    crown_y: float,
    source_w: int,
    source_h: int,
    rules: GeometryRules = GeometryRules(),
) -> CropSolution:
    f, e, mx, c = face_width, eye_y, eye_mid_x, crown_y
    eye_to_crown = e - c
    if f <= 1 or eye_to_crown <= 1:
        return CropSolution("too_far")
    (fw_lo, fw_hi), (ey_lo, ey_hi), (cr_lo, cr_hi) = rules.face_width_px, rules.eye_line_px, rules.crown_px
    # Eye-to-crown distance in the output must fit between the two bands.
    ec_lo, ec_hi = ey_lo - cr_hi, ey_hi - cr_lo
    lo = max(fw_lo / f, ec_lo / eye_to_crown)
    hi = min(fw_hi / f, ec_hi / eye_to_crown)
    if lo > hi or lo > rules.max_scale:
        # Needing more than the allowed scale means the face is too small in the source.
        return CropSolution("too_far" if lo > rules.max_scale or fw_lo / f > hi else "too_close")
    hi = min(hi, rules.max_scale)
    s_pref = float(np.clip(rules.target_face_width / f, lo, hi))
    candidates = sorted(np.unique(np.concatenate([np.linspace(lo, hi, 121), [s_pref]])), key=lambda s: abs(s - s_pref))
    first_problem = None
    for s in candidates:
        ty_lo = max(ey_lo - s * e, cr_lo - s * c)
        ty_hi = min(ey_hi - s * e, cr_hi - s * c)
        # Inside the source: y0 = -ty/s >= 0 and y0 + 640/s <= H.
        frame_lo, frame_hi = OUT_H - s * source_h, 0.0
        tx = OUT_W / 2 - s * mx
        problem = None
        if tx > 0:  # crop would start left of the source: face too near the image left
            problem = "move_left"
        elif -tx / s + OUT_W / s > source_w:
            problem = "move_right"
        elif max(ty_lo, frame_lo) > min(ty_hi, frame_hi):
            problem = "head_cut_off" if ty_lo > frame_hi else "too_close"
        if problem is None:
            lo_t, hi_t = max(ty_lo, frame_lo), min(ty_hi, frame_hi)
            ty = float(np.clip(rules.target_eye_line - s * e, lo_t, hi_t))
            return CropSolution(None, float(s), float(tx), ty)
        first_problem = first_problem or problem
    return CropSolution(first_problem)
