"""``kiosk crop`` and ``kiosk sheet`` end to end, and printing through a stand-in ``lp``."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import cv2
import pytest

from kiosk.cli import main
from kiosk.output import PrintError, send_to_printer
from tests.helpers.paths import FACES
from tests.helpers.portraits import synthetic_portrait
from tests.helpers.printpdf import read_print_pdf


@pytest.fixture(scope="module")
def portrait(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    still, h = synthetic_portrait(2400, 1800, noise=5)
    path = tmp_path_factory.mktemp("portrait") / "still.png"
    cv2.imwrite(str(path), still)
    chin = f",{h.chin_y}" if h.chin_y is not None else ""
    return path, f"{h.crown_y},{h.eye_x},{h.eye_y},{h.face_width}{chin}"


def test_crop_writes_the_photo_and_reports_geometry(portrait, tmp_path: Path, capsys) -> None:
    src, geometry = portrait
    out = tmp_path / "reg.jpg"
    assert main(["crop", str(src), "-o", str(out), "--geometry", geometry]) == 0
    text = capsys.readouterr().out
    for word in ("480x640", "KB", "head width", "crown margin", "eye line", "centre offset"):
        assert word in text
    assert 30 * 1024 <= out.stat().st_size <= 40 * 1024


def test_crop_json(portrait, tmp_path: Path, capsys) -> None:
    src, geometry = portrait
    out = tmp_path / "reg.jpg"
    assert main(["crop", str(src), "-o", str(out), "--geometry", geometry, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    g = report["geometry"]
    assert 180 <= g["face_width_px"] <= 300 and 50 <= g["crown_px"] <= 110 and 200 <= g["eye_line_px"] <= 300
    assert abs(g["centre_offset_px"]) <= 12
    assert report["file_bytes"] == out.stat().st_size and report["quality"] >= 60


def test_crop_unreadable_input_is_one_line_exit_2(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "not-a-photo.jpg"
    bad.write_bytes(b"hello")
    assert main(["crop", str(bad), "-o", str(tmp_path / "o.jpg"), "--geometry", "1,2,3,4"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "not an image this tool can read" in err
    assert main(["crop", str(tmp_path / "missing.jpg"), "-o", str(tmp_path / "o.jpg")]) == 2


def test_crop_infeasible_geometry_is_one_line_exit_2(portrait, tmp_path: Path, capsys) -> None:
    src, _ = portrait
    # a 60-px face cannot reach 180 px without upscaling
    assert main(["crop", str(src), "-o", str(tmp_path / "o.jpg"), "--geometry", "800,1200,850,60"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "too_far" in err and "Please come a little closer." in err and "请靠近一点" in err
    assert not (tmp_path / "o.jpg").exists()


def test_crop_bad_geometry_option(portrait, tmp_path: Path, capsys) -> None:
    src, _ = portrait
    assert main(["crop", str(src), "-o", str(tmp_path / "o.jpg"), "--geometry", "1,2"]) == 2
    assert "--geometry" in capsys.readouterr().err


def test_crop_unknown_profile(portrait, tmp_path: Path, capsys) -> None:
    src, geometry = portrait
    assert main(["crop", str(src), "-o", str(tmp_path / "o.jpg"), "--geometry", geometry, "--profile", "nope"]) == 2
    assert "nope" in capsys.readouterr().err


@pytest.mark.parametrize("suffix", [".jpg", ".pdf"])
def test_sheet_writes_jpeg_or_pdf(portrait, tmp_path: Path, suffix: str) -> None:
    src, geometry = portrait
    out = tmp_path / f"sheet{suffix}"
    assert main(["sheet", str(src), "-o", str(out), "--geometry", geometry]) == 0
    if suffix == ".pdf":
        (page,) = read_print_pdf(out.read_bytes())
        assert (page.width_pt, page.height_pt) == (432, 288)
        assert [(i.rect_pt, i.dpi) for i in page.images] == [((0, 0, 432, 288), (300, 300))]
    else:
        assert out.read_bytes().startswith(b"\xff\xd8")


def test_sheet_refuses_other_formats(portrait, tmp_path: Path, capsys) -> None:
    src, geometry = portrait
    assert main(["sheet", str(src), "-o", str(tmp_path / "s.png"), "--geometry", geometry]) == 2
    assert ".jpg or .pdf" in capsys.readouterr().err


def fake_lp(folder: Path, exit_code: int = 0) -> Path:
    script = folder / "lp"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" > "{folder}/args"\n'
        + ('echo "lp: The printer or class does not exist." >&2\n' if exit_code else "")
        + ('echo "request id is Booth-7 (1 file(s))"\n' if not exit_code else "")
        + f"exit {exit_code}\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_sheet_print_through_lp(portrait, tmp_path: Path, monkeypatch, capsys) -> None:
    src, geometry = portrait
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_lp(bin_dir)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    out = tmp_path / "sheet.pdf"
    assert (
        main(
            [
                "sheet",
                str(src),
                "-o",
                str(out),
                "--geometry",
                geometry,
                "--print",
                "Photo4x6",
                "--lp-option",
                "media=4x6",
            ]
        )
        == 0
    )
    assert "Booth-7" in capsys.readouterr().out
    assert (bin_dir / "args").read_text().split() == ["-d", "Photo4x6", "-o", "media=4x6", str(out)]


def test_print_errors_are_clear(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "sheet.pdf"
    target.write_bytes(b"%PDF-1.4\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(PrintError, match="not installed"):
        send_to_printer(target, "Photo4x6")
    fake_lp(empty, exit_code=1)
    with pytest.raises(PrintError, match="does not exist"):
        send_to_printer(target, "Nope")


# -- real photographs, once the face analysis exists -------------------------------------------------


def test_real_photos_place_or_refuse_cleanly(tmp_path: Path) -> None:
    """Wild photos (long side <= 512 px) are enlarged here only to exercise analysis + solver together."""
    from kiosk.vision import checker as compliance

    if not (FACES / "labels.csv").is_file():
        pytest.skip(f"shared face photos not found at {FACES}")
    from kiosk.output import MESSAGES, GeometryError, HeadMeasure, solve, within

    checker = compliance.ComplianceChecker("chsi")
    photos = sorted(FACES.glob("celeba_wild_*.jpg"))[:6]
    if not photos:
        pytest.skip("no wild photos in the face set")
    for path in photos:
        image = cv2.imread(str(path))
        image = cv2.resize(image, None, fx=4, fy=4, interpolation=cv2.INTER_CUBIC)
        try:
            head = HeadMeasure.from_face(checker.check(image).geometry)
            p = solve(head, image.shape[1], image.shape[0])
        except GeometryError as exc:
            assert exc.reason in MESSAGES
            continue
        assert within(p.achieved)
