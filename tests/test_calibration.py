"""Calibration: the booth's own backdrop colour and pose zero replace the profile's defaults in the
checker, are stored in the data folder, and show as missing, fresh or stale."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.cli import main
from kiosk.vision.calibration import (
    FRESH,
    MISSING,
    STALE,
    Backdrop,
    Calibration,
    CalibrationError,
    PoseZero,
    calibrated,
    measure_backdrop,
)
from kiosk.vision.colour import delta_e2000, to_lab
from kiosk.vision.profiles import load_profile

BLUE_BGR = (235, 180, 95)  # a booth's own blue: a little off the spec's RGB(100, 197, 255)


def backdrop_photo(path: Path, gradient: float = 0.0) -> Path:
    img = np.zeros((600, 800, 3), np.float32)
    img[:] = BLUE_BGR
    img *= np.linspace(1.0 - gradient, 1.0, 800, dtype=np.float32)[None, :, None]
    cv2.imwrite(str(path), img.clip(0, 255).astype(np.uint8))
    return path


def test_the_measured_backdrop_becomes_the_checkers_reference(tmp_path: Path) -> None:
    photo = backdrop_photo(tmp_path / "backdrop.png")
    data = tmp_path / "data"
    assert main(["calibrate", "--data", str(data), "--image", str(photo)]) == 0
    stored = Calibration.load(data)
    assert stored.status() == FRESH and stored.backdrop is not None and stored.backdrop.even
    expected = to_lab(np.array([[BLUE_BGR]], np.uint8))[0, 0]
    assert delta_e2000(np.array(stored.backdrop.lab), expected) < 1.0

    profile = load_profile("chsi")
    mine = calibrated(profile, stored)
    assert mine.get("background_ref_lab") == pytest.approx(list(stored.backdrop.lab), abs=0.01)
    assert profile.get("background_ref_lab") != mine.get("background_ref_lab")  # the profile itself is kept
    assert mine.get("pose.pitch_offset_deg") == profile.get("pose.pitch_offset_deg")  # no pose zero measured


def test_an_unevenly_lit_backdrop_is_stored_but_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    photo = backdrop_photo(tmp_path / "backdrop.png", gradient=0.4)
    assert main(["calibrate", "--data", str(tmp_path / "d"), "--image", str(photo)]) == 0
    assert "unevenly lit" in capsys.readouterr().err
    backdrop = Calibration.load(tmp_path / "d").backdrop
    assert backdrop is not None and not backdrop.even


def test_pose_zero_needs_a_face(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    photo = backdrop_photo(tmp_path / "nobody.png")
    assert main(["calibrate", "--pose", "--data", str(tmp_path / "d"), "--image", str(photo)]) == 2
    err = capsys.readouterr().err
    assert "no face found" in err and "Traceback" not in err
    assert Calibration.load(tmp_path / "d").pose is None


def test_pose_zero_overrides_the_profile_offset() -> None:
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    cal = Calibration(Backdrop((80.0, -5.0, -30.0), 3.0, stamp), PoseZero(-4.25, stamp))
    assert calibrated(load_profile("chsi"), cal).get("pose.pitch_offset_deg") == -4.25


def test_missing_fresh_stale(tmp_path: Path) -> None:
    assert Calibration.load(tmp_path).status() == MISSING
    (tmp_path / "calibration.json").write_text("{not json", encoding="utf-8")
    assert Calibration.load(tmp_path).status() == MISSING  # a damaged file counts as none
    now = datetime.now().astimezone()
    old = (now - timedelta(days=40)).isoformat(timespec="seconds")
    Calibration(Backdrop((80.0, -5.0, -30.0), 3.0, old)).save(tmp_path)
    assert Calibration.load(tmp_path).status(now) == STALE
    assert Calibration.load(tmp_path).status(now - timedelta(days=20)) == FRESH


def test_a_dark_picture_is_refused() -> None:
    with pytest.raises(CalibrationError, match="too dark"):
        measure_backdrop(np.zeros((480, 640, 3), np.uint8))


# -- the staff console's button ----------------------------------------------------------------------


@pytest.fixture
def rig(tmp_path: Path):
    from tests.helpers.staff import staff_rig

    yield from staff_rig(tmp_path)


def test_the_console_button_measures_the_backdrop_only_while_paused(rig) -> None:
    from tests.helpers.staff import login, page_token

    client = rig.client
    login(client)
    token = page_token(client)
    rig.replay.show([backdrop_photo(rig.tmp_path / "b.png")])  # the camera now sees the empty backdrop
    data = rig.data

    form = {"csrf_token": token, "kind": "backdrop"}
    busy = client.post("/staff/actions/calibrate", data=form, follow_redirects=True)
    assert "pause the booth first" in busy.get_data(as_text=True)
    assert Calibration.load(data).status() == MISSING

    client.post("/staff/actions/pause", data={"csrf_token": token})
    rig.booth.step()
    done = client.post("/staff/actions/calibrate", data=form, follow_redirects=True)
    assert "Calibrated: backdrop Lab" in done.get_data(as_text=True)
    assert Calibration.load(data).status() == FRESH
    assert rig.lights.scene == "paused"  # the lights went back to the paused scene
    rig.clock.advance(5)
    health = client.get("/staff/api/live").get_json()["health"]
    assert health["model"]["calibration"] == FRESH
    assert rig.console.audit.entries()[0].action == "calibrate"


FACE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "frontal_orl"


@pytest.mark.skipif(not FACE.is_dir(), reason=f"shared frontal faces not found at {FACE}")
def test_pose_zero_from_someone_looking_at_the_lens(tmp_path: Path) -> None:
    from kiosk.vision.checker import ComplianceChecker

    photo = sorted(p for p in FACE.rglob("*") if p.suffix.lower() in (".jpg", ".png", ".pgm"))[0]
    image = cv2.imread(str(photo), cv2.IMREAD_COLOR)
    image = cv2.resize(image, (image.shape[1] * 4, image.shape[0] * 4))
    cv2.imwrite(str(tmp_path / "seated.png"), image)
    assert main(["calibrate", "--pose", "--data", str(tmp_path / "d"), "--image", str(tmp_path / "seated.png")]) == 0
    pose = Calibration.load(tmp_path / "d").pose
    assert pose is not None
    raw = ComplianceChecker("chsi").analyse(image).pose
    assert raw is not None and pose.pitch_offset_deg == pytest.approx(raw.pitch, abs=0.01)
    cal = Calibration.load(tmp_path / "d")
    checker = ComplianceChecker("chsi", calibration=cal)
    assert checker.profile.get("pose.pitch_offset_deg") == pytest.approx(raw.pitch, abs=0.01)


def test_calibrate_takes_a_still_from_the_configured_camera_under_the_lights(tmp_path: Path) -> None:
    folder = tmp_path / "replay"
    folder.mkdir()
    backdrop_photo(folder / "backdrop.png")
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[camera]\nsource = "replay"\nreplay_dir = "{folder}"\n[gpio]\npin_factory = "mock"\n')
    data = tmp_path / "data"
    assert main(["calibrate", "-c", str(config), "--data", str(data), "--yes"]) == 0
    backdrop = Calibration.load(data).backdrop
    assert backdrop is not None and backdrop.even
    assert main(["calibrate", "-c", str(config), "--data", str(data), "--status"]) == 0
