"""Uncertain is not failed: a check inside its profile band passes and asks a question the student can
answer; over the band it fails; under it it passes quietly. The report, the JSON and the plain
``kiosk check`` line all show the question. No shared data needed: the checks read probabilities and
measures from the analysis, which these tests fill in."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from kiosk.cli.check import human_line
from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checks import glasses, head_covering, heavy_makeup, jewellery
from kiosk.vision.profiles import Profile, ProfileError, _merge, load_profile
from kiosk.vision.report import CheckResult, Message, Report


def with_band(check_id: str, band: list[float], name: str = "chsi") -> Profile:
    base = load_profile(name)
    data = copy.deepcopy(base.data)
    data["ask"][check_id] = band
    return Profile(base.name, data)


def analysed(**probabilities: float) -> FaceAnalysis:
    return FaceAnalysis(image=np.zeros((8, 8, 3), np.uint8), attributes=probabilities)


@pytest.mark.parametrize(
    ("prob", "passed", "ask"),
    [(0.2, True, False), (0.5, True, True), (0.74, True, True), (0.9, False, False)],
)
def test_jewellery_band_passes_asks_or_fails(prob: float, passed: bool, ask: bool) -> None:
    res = jewellery.run(analysed(jewellery=prob), with_band("jewellery", [0.35, 0.75]))
    assert (res.passed, res.ask) == (passed, ask)
    if ask:
        assert res.message.zh == "如果您佩戴了耳环或项链，请摘下后重拍"
        assert res.message.en == "If you are wearing earrings or a necklace, please take them off and retake"
        assert res.score < 0.5
    elif not passed:
        assert res.message.en == "Please take off earrings, necklaces and other jewellery" and res.score > 0.5
    else:
        assert res.message.en == ""


def test_an_empty_band_never_asks() -> None:
    p = with_band("heavy_makeup", [0.6, 0.6])
    assert heavy_makeup.run(analysed(heavy_makeup=0.59), p).ask is False
    res = heavy_makeup.run(analysed(heavy_makeup=0.61), p)
    assert not res.passed and not res.ask


def test_each_asking_check_has_its_own_question() -> None:
    hat = head_covering.run(analysed(hat=0.5), with_band("head_covering", [0.3, 0.7]))
    assert hat.ask and hat.message.en.startswith("If you are wearing a hat")
    make_up = heavy_makeup.run(analysed(heavy_makeup=0.85), with_band("heavy_makeup", [0.8, 0.95]))
    assert make_up.ask and "make-up" in make_up.message.en and make_up.message.zh.startswith("如果")


def test_glasses_ask_only_where_glasses_are_forbidden() -> None:
    forbidden = with_band("glasses", [0.25, 0.6], "chsi-no-glasses")
    res = glasses.run(analysed(glasses=0.4), forbidden)
    assert res.passed and res.ask and res.message.en == "If you are wearing glasses, please take them off and retake"
    assert not glasses.run(analysed(glasses=0.7), forbidden).passed


def test_asked_photo_passes_and_lists_the_question() -> None:
    asked = CheckResult("jewellery", True, 0.2, Message("如果…", "If you are wearing earrings ..."), ask=True)
    failed = CheckResult("mouth_closed", False, 0.9, Message("请…", "Please close your lips"))
    order = ("mouth_closed", "jewellery")
    only_asked = Report({"jewellery": asked}, 5.0, order=order)
    assert only_asked.passed and [c.id for c in only_asked.asked()] == ["jewellery"]
    assert only_asked.to_dict()["checks"]["jewellery"]["ask"] is True and only_asked.to_dict()["pass"] is True
    assert human_line("a.jpg", only_asked) == "a.jpg: PASS (5 ms) - asked: jewellery: If you are wearing earrings ..."
    both = Report({"mouth_closed": failed, "jewellery": asked}, 5.0, order=order)
    assert human_line("b.jpg", both).startswith("b.jpg: FAIL (5 ms) - mouth_closed: Please close your lips; asked: ")


def test_a_band_must_be_two_numbers() -> None:
    base = load_profile("chsi").data
    with pytest.raises(ProfileError, match="ask.jewellery"):
        _merge(base, {"ask": {"jewellery": 0.5}}, "", "school")
    with pytest.raises(ProfileError, match="ask.eyes_open"):
        _merge(base, {"ask": {"eyes_open": [0.1, 0.2]}}, "", "school")
