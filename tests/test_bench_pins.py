"""bench/pins.py's comparison of two environments' records says which photos changed and by how much:
the report a release is checked with before the Pi's pinned OpenCV is trusted with the README's figures."""

from __future__ import annotations

from typing import Any

from tests.helpers.benches import load_bench


def photo(file: str, verdict: str, glasses: float, glasses_check: str, compliant: bool = True) -> dict[str, Any]:
    outcome = {"pass": {"pass": True, "ask": False}, "fail": {"pass": False, "ask": False}}[glasses_check]
    return {
        "file": file, "part": "aligned89", "compliant": compliant, "broken": not compliant, "verdict": verdict,
        "attributes": {"glasses": glasses, "hat": 0.01},
        "checks": {"glasses": {**outcome, "score": glasses}, "single_face": {"pass": True, "ask": False, "score": 1.0}},
    }  # fmt: skip


def record(numpy: str, opencv: str, photos: list[dict[str, Any]]) -> dict[str, Any]:
    return {"environment": {"numpy": numpy, "opencv": opencv, "python": "3.11"}, "profile": "chsi", "photos": photos}


def test_compare_names_the_changed_verdict_the_flipped_check_and_the_shift() -> None:
    pins = load_bench("pins")
    dev = record("2.4", "5.0", [photo("a.jpg", "passed", 0.30, "pass"), photo("b.jpg", "passed", 0.10, "pass")])
    pi = record("1.26", "4.11", [photo("a.jpg", "rejected", 0.42, "fail"), photo("b.jpg", "passed", 0.10, "pass")])
    text = pins.compare(dev, pi)
    assert "A: numpy 2.4, OpenCV 5.0. B: numpy 1.26, OpenCV 4.11. 2 photos" in text
    assert "| faces, aligned crops | 2 | 0 | 1 | 0 | 0 | 0 |" in text  # one more false reject on the Pi
    assert "Photos whose whole verdict changed: 1 of 2." in text
    assert "| a.jpg | passed | rejected | glasses pass -> fail |" in text
    assert "b.jpg" not in text  # nothing changed for it
    assert "| glasses | 2 | 1 | 0.0600 | 0.1200 |" in text  # median of 0.12 and 0, max 0.12
    assert "| glasses | 2 | 1 | 0.1200 | 1 |" in text  # the check's score and its one outcome change


def test_identical_records_report_no_change() -> None:
    pins = load_bench("pins")
    same = record("1.26", "4.11", [photo("a.jpg", "asked", 0.3, "pass")])
    text = pins.compare(same, same)
    assert "Photos whose whole verdict changed: 0 of 1." in text
    assert "| (none) | | | |" in text
    assert "| glasses | 1 | 0 | 0.0000 | 0.0000 |" in text
