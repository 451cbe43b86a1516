"""The placement solver of photo-spec 1.5 on head measurements the tests make."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.output import MESSAGES, GeometryError, GeometryRules, HeadMeasure, make_registration, solve, within
from kiosk.output.photo import registration_jpeg
from kiosk.vision.report import FaceGeometry, Report
from tests.helpers.portraits import PUPIL, SKIN, synthetic_portrait

W, H = 4056, 3040
RULES = GeometryRules()


def head(c: float, mx: float, e: float, f: float, chin: float | None = None) -> HeadMeasure:
    return HeadMeasure(crown_y=c, eye_x=mx, eye_y=e, face_width=f, chin_y=chin)


def assert_sound(p, h: HeadMeasure, w: int = W, hh: int = H) -> None:
    """Inside the source, exact 3:4, no upscaling, every range met, numbers match the rectangle."""
    assert p.x0 >= 0 and p.y0 >= 0 and p.x0 + p.width <= w and p.y0 + p.height <= hh
    assert p.width * 4 == p.height * 3
    s = p.scale
    assert s <= 1.0 + 1e-12
    a = p.achieved
    assert math.isclose(a.scale, s)
    assert math.isclose(a.face_width_px, s * h.face_width)
    assert math.isclose(a.eye_line_px, s * (h.eye_y - p.y0))
    assert math.isclose(a.crown_px, s * (h.crown_y - p.y0))
    assert math.isclose(a.centre_offset_px, s * (h.eye_x - p.x0) - 240, abs_tol=1e-9)
    assert within(a, RULES)


def test_comfortable_head_lands_on_the_targets() -> None:
    # crown-to-eye 0.7 of the face width: face 240 and eye line 250 leave the crown at 82 px
    h = head(c=1000, mx=2000, e=1350, f=500, chin=1750)
    p = solve(h, W, H)
    assert_sound(p, h)
    a = p.achieved
    assert abs(a.face_width_px - 240) <= 0.8
    assert abs(a.eye_line_px - 250) <= 0.5
    assert abs(a.centre_offset_px) <= 0.5
    assert 50 <= a.crown_px <= 110
    assert a.chin_px is not None and abs(a.chin_px - 0.48 * 400 - 250) < 2


def test_tall_hair_keeps_face_width_and_gives_up_crown_margin() -> None:
    # crown-to-eye 0.9 f: at face width 240 the eye line cannot be 250 with crown >= 50
    h = head(c=800, mx=2000, e=1250, f=500)
    a = solve(h, W, H).achieved
    assert abs(a.face_width_px - 240) <= 0.8
    assert a.crown_px == pytest.approx(50, abs=0.5)
    assert 250 < a.eye_line_px <= 300


def test_short_crown_distance_raises_crown_margin_limit() -> None:
    # crown-to-eye 0.35 f: at face width 240 the distance is 84 < 90, so the scale must grow
    h = head(c=1160, mx=2000, e=1300, f=400)
    a = solve(h, W, H).achieved
    assert a.eye_line_px - a.crown_px == pytest.approx(90, abs=0.6)
    assert 240 < a.face_width_px <= 300


def test_small_face_at_full_resolution_fails_too_far() -> None:
    with pytest.raises(GeometryError) as info:
        solve(head(c=1400, mx=2000, e=1500, f=150), W, H)
    assert info.value.reason == "too_far"
    assert info.value.message.zh == "请靠近一点"
    assert info.value.message.en == "Please come a little closer."


def test_face_filling_the_frame_fails_too_close() -> None:
    with pytest.raises(GeometryError) as info:
        solve(head(c=200, mx=2000, e=1800, f=2200), W, H)
    assert info.value.reason == "too_close"
    assert info.value.message.zh == "请后退一点"


@pytest.mark.parametrize(
    ("mx", "reason", "zh", "en"),
    [
        (150, "move_left", "请向左移一点", "Please move a little to your left"),
        (W - 150, "move_right", "请向右移一点", "Please move a little to your right"),
    ],
)
def test_face_at_the_edge_asks_the_student_to_move(mx: float, reason: str, zh: str, en: str) -> None:
    # un-mirrored: a face near the image's left edge is on the student's right -> move to their left
    with pytest.raises(GeometryError) as info:
        solve(head(c=1000, mx=mx, e=1350, f=500), W, H)
    assert info.value.reason == reason
    assert (info.value.message.zh, info.value.message.en) == (zh, en)


def test_crown_at_the_top_edge_asks_to_sit_lower() -> None:
    with pytest.raises(GeometryError) as info:
        solve(head(c=5, mx=2000, e=355, f=500), W, H)
    assert info.value.reason == "head_cut_off"
    assert info.value.message.zh == "请坐低一点，头顶要留空"
    assert info.value.message.en == "Please sit a little lower"


def test_off_centre_within_tolerance_near_the_edge() -> None:
    # pupils 236 px from the left at scale 1: exact centring would need 4 px of padding; the 12 px
    # tolerance absorbs it instead of failing
    h = head(c=300, mx=236, e=530, f=240)
    p = solve(h, W, H)
    assert_sound(p, h)
    assert p.x0 == 0
    assert p.achieved.centre_offset_px == pytest.approx(-4)


def test_source_smaller_than_the_output_is_refused() -> None:
    with pytest.raises(GeometryError) as info:
        solve(head(c=50, mx=200, e=200, f=200), 400, 500)
    assert info.value.reason == "source_too_small"
    # A setup fault for staff, named as such: not a save failure, which would send staff to the disk.
    said = MESSAGES["source_too_small"]
    assert "pixels" in said.en and "staff" in said.en and "saved" not in said.en
    assert "像素" in said.zh and "保存" not in said.zh


def test_rules_from_the_chsi_profile() -> None:
    from kiosk.vision.profiles import load_profile

    assert GeometryRules.from_profile(load_profile("chsi")) == GeometryRules()


def test_messages_cover_every_reason() -> None:
    for reason, message in MESSAGES.items():
        assert message.zh and message.en, reason


# -- every placement is sound; every refusal is real ------------------------------------------------


def brute_force_feasible(h: HeadMeasure, w: int, hh: int, r: GeometryRules = RULES) -> bool:
    """An independent search over every whole-pixel 3:4 crop size: does any placement exist?"""
    for k in range(160, min(w // 3, hh // 4) + 1):
        cw, ch = 3 * k, 4 * k
        s = 480 / cw
        if not r.face_width_px[0] <= s * h.face_width <= r.face_width_px[1]:
            continue
        # every y0 with eye and crown in their bands, inside the frame
        y_lo = max(h.eye_y - 300 / s, h.crown_y - 110 / s, 0)
        y_hi = min(h.eye_y - 200 / s, h.crown_y - 50 / s, hh - ch)
        x_lo = max(h.eye_x - 252 / s, 0)
        x_hi = min(h.eye_x - 228 / s, w - cw)
        if math.ceil(y_lo - 1e-9) <= math.floor(y_hi + 1e-9) and math.ceil(x_lo - 1e-9) <= math.floor(x_hi + 1e-9):
            return True
    return False


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    w=st.integers(480, 2400),
    hh=st.integers(640, 2400),
    fx=st.floats(0.0, 1.0),
    fy=st.floats(0.0, 1.0),
    f=st.floats(60, 1500),
    ratio=st.floats(0.2, 1.6),
)
def test_solver_is_sound_and_complete(w: int, hh: int, fx: float, fy: float, f: float, ratio: float) -> None:
    e = fy * hh
    h = head(c=e - ratio * f, mx=fx * w, e=e, f=f)
    try:
        p = solve(h, w, hh)
    except GeometryError as exc:
        assert exc.reason in MESSAGES
        assert not brute_force_feasible(h, w, hh), f"refused ({exc}) but a placement exists"
        return
    assert_sound(p, h, w, hh)


# -- on pictures: the drawn face lands where the numbers say ----------------------------------------


def test_drawn_face_lands_at_the_reported_geometry() -> None:
    import cv2

    still, h = synthetic_portrait(noise=0, face_width=500, eye_x=1900, eye_y=1400)
    photo = make_registration(still, h)
    out = cv2.imdecode(np.frombuffer(photo.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert out.shape == (640, 480, 3)
    a = photo.placement.achieved
    # the only dark pixels in the face's middle band (hair lies outside it) are the pupils
    pupils = np.all(np.abs(out.astype(int) - PUPIL) < 40, axis=2)
    half = int(0.35 * a.face_width_px)
    band = np.zeros_like(pupils)
    band[190:310, 240 - half : 240 + half] = True
    ys, xs = np.nonzero(pupils & band)
    assert abs(ys.mean() - a.eye_line_px) < 2
    assert abs(xs.mean() - 240 - a.centre_offset_px) < 2
    skin = np.all(np.abs(out.astype(int) - SKIN) < 25, axis=2)
    cols = np.nonzero(skin.any(axis=0))[0]
    assert abs((cols[-1] - cols[0] + 1) - a.face_width_px) < 4
    assert 180 <= a.face_width_px <= 300 and 200 <= a.eye_line_px <= 300 and 50 <= a.crown_px <= 110


def test_registration_jpeg_without_a_face_raises_no_face() -> None:
    still, _ = synthetic_portrait(1600, 1200, noise=0)
    with pytest.raises(GeometryError) as info:
        registration_jpeg(still, Report(checks={}, ms=0.0, geometry=None))
    assert info.value.reason == "no_face"
    unmeasured = FaceGeometry(box=(700, 400, 200, 250))
    with pytest.raises(GeometryError):
        registration_jpeg(still, Report(checks={}, ms=0.0, geometry=unmeasured))


def test_registration_jpeg_uses_the_checker_geometry() -> None:
    still, h = synthetic_portrait(noise=3)
    geo = FaceGeometry(
        box=(h.eye_x - h.face_width / 2, h.crown_y, h.face_width, h.face_width * 1.4),
        eye_mid=(h.eye_x, h.eye_y),
        crown_y=h.crown_y,
        chin_y=h.chin_y,
        face_width=h.face_width,
        roll_deg=0.0,
    )
    data = registration_jpeg(still, Report(checks={}, ms=0.0, geometry=geo))
    assert data == make_registration(still, h).jpeg
    assert 30 * 1024 <= len(data) <= 40 * 1024


def test_registration_jpeg_infeasible_geometry_raises() -> None:
    still, h = synthetic_portrait(1600, 1200, noise=0, face_width=80)
    geo = FaceGeometry(box=(0, 0, 1, 1), eye_mid=(h.eye_x, h.eye_y), crown_y=h.crown_y, face_width=h.face_width)
    with pytest.raises(GeometryError) as info:
        registration_jpeg(still, Report(checks={}, ms=0.0, geometry=geo))
    assert info.value.reason == "too_far"


@settings(max_examples=100, deadline=None)
@given(
    fx=st.floats(0.25, 0.75),
    fy=st.floats(0.35, 0.55),
    f=st.floats(300, 700),
    ratio=st.floats(0.6, 0.85),
)
def test_realistic_heads_are_placed_at_the_face_width_target(fx: float, fy: float, f: float, ratio: float) -> None:
    e = fy * H
    h = head(c=e - ratio * f, mx=fx * W, e=e, f=f)
    p = solve(h, W, H)
    assert_sound(p, h)
    assert abs(p.achieved.face_width_px - 240) <= 0.8  # step 2: nothing forces another scale here
