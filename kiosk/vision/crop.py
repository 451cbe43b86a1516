"""The 480x640 placement as the checks read it: a view of the one spec 1.5 solver, ``kiosk.vision.geometry``.

The check and the saved photo must agree, so both use ``kiosk.vision.geometry.solve``: a still whose
head the check accepts is one the registration photo can be cut from, and the direction a failure asks
for (closer, back, left, right, lower) is the solver's own.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.vision.geometry import GeometryError, GeometryRules, HeadMeasure
from kiosk.vision.geometry import solve as solve_placement

OUT_W, OUT_H = 480, 640

__all__ = ["OUT_H", "OUT_W", "CropSolution", "GeometryRules", "solve"]


@dataclass(frozen=True)
class CropSolution:
    """``problem`` is None when a placement exists; otherwise the solver's reason (too_far, too_close,
    move_left, move_right, head_cut_off, proportions, source_too_small)."""

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
    rules: GeometryRules | None = None,
) -> CropSolution:
    rules = rules or GeometryRules()
    head = HeadMeasure(crown_y=crown_y, eye_x=eye_mid_x, eye_y=eye_y, face_width=face_width)
    try:
        placed = solve_placement(head, source_w, source_h, rules)
    except GeometryError as exc:
        return CropSolution(exc.reason)
    s = placed.scale
    return CropSolution(None, s, -placed.x0 * s, -placed.y0 * s)
