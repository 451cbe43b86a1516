"""``kiosk selftest``: passing on the simulated hardware, and each check failing the way a real part does."""

from __future__ import annotations

import json
import os
import threading
import urllib.error
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import cv2
import numpy as np
import pytest
from gpiozero.pins.mock import MockFactory

from kiosk.app.checks import CheckResult, Status, fail, format_table, ok, run_checks, skip
from kiosk.app.hardware import (
    NUMPY_TRAP_HINT,
    SELFTEST_QR_TEXT,
    check_button,
    check_camera,
    check_lights,
    check_models,
    check_qr,
)
from kiosk.app.readiness import check_credentials
from kiosk.app.selftest import CHECK_NAMES, GATE_CHECKS
from kiosk.app.surroundings import check_clock, check_disk, check_upload
from kiosk.cli import main
from kiosk.codes.phone_screen import render_phone
from kiosk.core.config import LightsSection, PinsSection, load_config
from kiosk.hw.button import BoothButton
from kiosk.hw.camera import CameraError
from kiosk.hw.lights import Lights
from kiosk.hw.replay import ReplayCamera
from kiosk.ops.probes import MODEL_FILES, head_status

REPO = Path(__file__).resolve().parents[1]
PINS = PinsSection()
NUMPY_2_ERROR = "numpy.dtype size changed, may indicate binary incompatibility. Expected 96 from C header, got 88"


@pytest.fixture
def portrait(tmp_path: Path) -> Path:
    """A folder holding one generated picture: a lit, face-coloured disc on a blue backdrop."""
    folder = tmp_path / "replay"
    folder.mkdir()
    image = np.zeros((480, 640, 3), np.uint8)
    image[:] = (180, 120, 60)
    cv2.circle(image, (320, 220), 110, (150, 170, 210), -1)
    cv2.imwrite(str(folder / "portrait.png"), image)
    return folder


@pytest.fixture
def booth_config(tmp_path: Path, portrait: Path) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(
        f'[camera]\nsource = "replay"\nreplay_dir = "{portrait}"\n[gpio]\npin_factory = "mock"\n',
        encoding="utf-8",
    )
    return path


def make_ready(data: Path) -> Path:
    """A data folder as the first-boot steps leave it: keyring, centre key, a staff password."""
    from kiosk.codes import Keyring
    from kiosk.staff.auth import PasswordFile
    from kiosk.storage.sealing import generate_centre_keypair
    from kiosk.vision.calibration import Calibration, measure_backdrop

    data.mkdir(parents=True, exist_ok=True)
    Keyring.generate(data / "keyring.toml", "k1")
    (data / "centre.pub").write_bytes(generate_centre_keypair()[1])
    PasswordFile.for_data_dir(data).set("staff", "correct horse battery")
    backdrop = np.zeros((480, 640, 3), np.uint8)
    backdrop[:] = (250, 190, 110)
    Calibration().with_backdrop(measure_backdrop(backdrop)).save(data)
    return data


@pytest.fixture
def ready_data(tmp_path: Path) -> Path:
    return make_ready(tmp_path / "data")


@pytest.fixture
def synced_clock(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A ``timedatectl`` first on PATH that says the clock is synchronised."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "timedatectl"
    fake.write_text("#!/bin/sh\necho yes\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["selftest", *args])
    out, err = capsys.readouterr()
    return code, out, err


# -- the whole command -----------------------------------------------------------------------------


def test_selftest_passes_on_the_simulated_booth(
    capsys: pytest.CaptureFixture[str], booth_config: Path, ready_data: Path, synced_clock: None
) -> None:
    data = ready_data
    before = sorted(data.iterdir())
    code, out, _ = run_cli(capsys, "-c", str(booth_config), "--data", str(data), "--json")
    report = json.loads(out)
    assert code == 0, out
    assert report["ok"] is True
    assert report["kiosk_id"] == "booth-01"
    assert [c["name"] for c in report["checks"]] == list(CHECK_NAMES)
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    assert statuses == {name: "skip" if name in ("button", "credentials") else "ok" for name in CHECK_NAMES}
    for check in report["checks"]:
        assert set(check) == {"name", "status", "detail", "hint", "seconds", "data"}
    camera = report["checks"][0]["data"]
    assert camera["preview_size"] == [1280, 720] and camera["still_size"] == [640, 480]
    assert 20 < camera["brightness"] < 200
    assert sorted(data.iterdir()) == before  # the self-test leaves the data folder alone


def test_selftest_table_says_what_passed(
    capsys: pytest.CaptureFixture[str], booth_config: Path, ready_data: Path, synced_clock: None
) -> None:
    code, out, _ = run_cli(capsys, "-c", str(booth_config), "--data", str(ready_data), "--skip", "models")
    assert code == 0
    assert "camera replay, pins mock" in out
    assert "  ok    lights" in out
    assert "  skip  button" in out
    assert "models" not in out.split("\n", 1)[1]
    assert out.rstrip().endswith("all checks passed")


def test_laptop_defaults_show_the_built_in_scene(
    capsys: pytest.CaptureFixture[str], ready_data: Path, synced_clock: None
) -> None:
    """No config at all: the replay camera with an empty replay_dir plays the built-in scene."""
    code, out, _ = run_cli(capsys, "--data", str(ready_data), "--json", "--skip", "models")
    report = json.loads(out)
    camera = report["checks"][0]
    assert camera["status"] == "ok", camera
    assert camera["data"]["source"] == "replay" and camera["data"]["brightness"] > 50
    assert code == 0


def test_selftest_fails_with_exit_1_when_the_camera_gives_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, synced_clock: None
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[camera]\nreplay_dir = "{empty}"\n[gpio]\npin_factory = "mock"\n', encoding="utf-8")
    data = str(make_ready(tmp_path / "d"))
    code, out, _ = run_cli(capsys, "-c", str(config), "--data", data, "--json", "--skip", "models")
    report = json.loads(out)
    assert code == 1
    assert report["ok"] is False
    camera = report["checks"][0]
    assert camera["status"] == "fail"
    assert "no readable images" in camera["detail"]
    assert "replay_dir" in camera["hint"]
    assert all(c["status"] != "fail" for c in report["checks"][1:])


def test_table_shows_the_hint_under_a_failure(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, synced_clock: None
) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[camera]\nreplay_dir = "{tmp_path / "nowhere"}"\n', encoding="utf-8")
    data = str(make_ready(tmp_path / "d"))
    code, out, _ = run_cli(capsys, "-c", str(config), "--data", data, "--skip", "models")
    assert code == 1
    lines = out.splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("  FAIL  camera"))
    assert lines[row + 1].strip().startswith("hint: camera.replay_dir")
    assert out.rstrip().endswith("1 check(s) failed")


def test_qr_image_is_decoded_and_its_text_kept_out_of_the_output(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, synced_clock: None
) -> None:
    picture = tmp_path / "code.png"
    cv2.imwrite(str(picture), render_phone("XC1:k1:SecretSealedPartOfTheCode0123456789"))
    only_qr = [arg for name in CHECK_NAMES if name != "qr" for arg in ("--skip", name)]
    code, out, _ = run_cli(capsys, "--qr-image", str(picture), "--json", *only_qr)
    assert code == 0
    (qr,) = json.loads(out)["checks"]
    assert qr["status"] == "ok"
    assert "XC1:k1:" in qr["detail"]
    assert "SecretSealed" not in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--qr-image", "/nonexistent/code.png"], "no such file"),
        (["--models", "/nonexistent/models"], "is not a folder"),
        (["-c", "/nonexistent/kiosk.toml"], "no such config file"),
    ],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    code, _, err = run_cli(capsys, *args)
    assert code == 2
    assert message in err


def test_unreadable_qr_image_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    junk = tmp_path / "code.png"
    junk.write_bytes(b"not a picture")
    code, _, err = run_cli(capsys, "--qr-image", str(junk))
    assert code == 2 and "not a readable image" in err


@pytest.mark.parametrize("args", [["--button-wait", "soon"], ["--button-wait", "-1"], ["--skip", "coffee"]])
def test_bad_options_exit_2(args: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["selftest", *args])
    assert exc.value.code == 2


# -- the runner ------------------------------------------------------------------------------------


def test_a_check_that_raises_is_a_failure_not_a_traceback() -> None:
    def broken() -> CheckResult:
        raise RuntimeError("wires crossed")

    seen: list[str] = []
    report = run_checks(
        "booth-07", [("a", lambda: ok("a", "fine")), ("b", broken)], on_result=lambda r: seen.append(r.name)
    )
    assert seen == ["a", "b"]
    assert report.exit_code == 1 and not report.ok
    assert report.results[1].status is Status.FAIL
    assert "RuntimeError: wires crossed" in report.results[1].detail
    assert report.to_dict()["checks"][1]["hint"]
    assert "1 check(s) failed" in format_table(report)


def test_skips_do_not_fail_the_report() -> None:
    report = run_checks("b", [("x", lambda: skip("x", "not tested"))])
    assert report.ok and report.exit_code == 0


# -- camera ----------------------------------------------------------------------------------------


class SilentCamera:
    """Opens fine, then never delivers a frame (a loose ribbon cable)."""

    def __init__(self) -> None:
        self.closed = False

    def start(self) -> None:
        pass

    def preview_frame(self) -> np.ndarray:
        raise CameraError("no preview frame within 3 s")

    def capture_still(self) -> np.ndarray:
        raise CameraError("still capture failed")

    def close(self) -> None:
        self.closed = True


def test_camera_that_gives_no_frames_fails_and_is_closed() -> None:
    camera = SilentCamera()
    result = check_camera(lambda: camera, "opencv:0")
    assert result.status is Status.FAIL
    assert "no preview frame" in result.detail
    assert "v4l2-ctl" in result.hint
    assert camera.closed


def test_camera_with_a_generated_picture_passes(portrait: Path) -> None:
    result = check_camera(lambda: ReplayCamera(portrait, (640, 360), fps=60), "replay")
    assert result.status is Status.OK
    assert result.data["preview_size"] == [640, 360]


def test_black_picture_fails() -> None:
    camera = ReplayCamera(None, (320, 240), fps=60)
    camera.show([np.zeros((240, 320, 3), np.uint8)])
    result = check_camera(lambda: camera, "replay")
    assert result.status is Status.FAIL and "black" in result.detail


def test_picamera2_missing_is_named() -> None:
    def no_picamera2(name: str) -> ModuleType:
        raise ModuleNotFoundError(f"No module named '{name}'")

    result = check_camera(SilentCamera, "picamera2", import_module=no_picamera2)
    assert result.status is Status.FAIL
    assert "picamera2 cannot be imported" in result.detail
    assert "python3-picamera2" in result.hint and "--system-site-packages" in result.hint


def test_picamera2_numpy_mismatch_gets_the_numpy_hint() -> None:
    def numpy_2(name: str) -> ModuleType:
        raise ValueError(NUMPY_2_ERROR)

    result = check_camera(SilentCamera, "picamera2", import_module=numpy_2)
    assert result.status is Status.FAIL
    assert result.hint == NUMPY_TRAP_HINT
    assert "numpy<2" in result.hint


def test_numpy_mismatch_while_starting_the_camera_gets_the_numpy_hint() -> None:
    class Broken(SilentCamera):
        def start(self) -> None:
            raise ValueError(NUMPY_2_ERROR)

    result = check_camera(Broken, "picamera2", import_module=lambda name: ModuleType(name))
    assert result.hint == NUMPY_TRAP_HINT


# -- lights ----------------------------------------------------------------------------------------


class MisreadLights:
    """Real lights on mock pins whose fill channel reads back dark: a dead channel on the light board."""

    def __init__(self, lights: Lights) -> None:
        self._lights = lights

    def __getattr__(self, name: str) -> Any:
        return getattr(self._lights, name)

    def levels(self) -> dict[str, float]:
        return {**self._lights.levels(), "fill_light": 0.0}


def test_lights_cycle_each_channel_and_read_it_back(factory: MockFactory) -> None:
    made: list[Lights] = []

    def make(scenes: LightsSection) -> Lights:
        made.append(Lights(PINS, scenes, factory))
        return made[-1]

    seen: list[tuple[float, float, float]] = []

    def watch(_: float) -> None:  # records what the pins drive at each step
        seen.append(tuple(round(factory.pin(p).state, 2) for p in (12, 13, 18)))

    result = check_lights(make, hold_s=0.0, sleep=watch)
    assert result.status is Status.OK, result.detail
    assert seen[:6] == [(0.5, 0, 0), (0, 0.5, 0), (0, 0, 0.5), (1, 0, 0), (0, 1, 0), (0, 0, 1)]
    assert all(factory.pin(p).state == 0 for p in (12, 13, 18, 23))  # everything off afterwards
    Lights(PINS, LightsSection(), factory).close()  # and the pins were released


def test_a_light_that_does_not_read_back_fails(factory: MockFactory) -> None:
    result = check_lights(lambda scenes: MisreadLights(Lights(PINS, scenes, factory)), hold_s=0.0)
    assert result.status is Status.FAIL
    assert "fill_light reads 0.00 with fill_light at 0.5" in result.detail
    assert len(result.data["problems"]) == 2  # half and full power
    assert "docs/wiring.md" in result.hint


def test_lights_that_cannot_be_made_fail_with_a_hint() -> None:
    def busy(scenes: LightsSection) -> Lights:
        raise RuntimeError("GPIO busy")

    result = check_lights(busy, hold_s=0.0)
    assert result.status is Status.FAIL
    assert "systemctl stop kiosk" in result.hint


def test_selftest_cli_fails_when_the_pin_factory_cannot_be_made(
    capsys: pytest.CaptureFixture[str], booth_config: Path, tmp_path: Path, synced_clock: None
) -> None:
    booth_config.write_text(booth_config.read_text().replace('"mock"', '"pigpio"'), encoding="utf-8")
    code, out, _ = run_cli(
        capsys, "-c", str(booth_config), "--data", str(tmp_path), "--json", "--button-wait", "0.1", "--skip", "models"
    )
    checks = {c["name"]: c for c in json.loads(out)["checks"]}
    assert code == 1
    assert checks["lights"]["status"] == "fail" and checks["button"]["status"] == "fail"
    assert "pigpio" in checks["lights"]["detail"]


# -- button ----------------------------------------------------------------------------------------


def make_button(factory: MockFactory):
    return lambda on_press: BoothButton(PINS.button, factory, 0.0, on_press)


def test_button_press_is_received(factory: MockFactory) -> None:
    prompts: list[str] = []

    def press_it(message: str) -> None:
        prompts.append(message)
        factory.pin(PINS.button).drive_low()

    result = check_button(make_button(factory), 2.0, press_it)
    assert result.status is Status.OK
    assert prompts == ["press the big button within 2 s ..."]


def test_no_press_in_time_fails(factory: MockFactory) -> None:
    result = check_button(make_button(factory), 0.05, lambda message: None)
    assert result.status is Status.FAIL
    assert "no press within 0.05 s" in result.detail


def test_button_stuck_pressed_fails(factory: MockFactory) -> None:
    def stuck(on_press: Any) -> BoothButton:
        button = BoothButton(PINS.button, factory, 0.0, on_press)
        factory.pin(PINS.button).drive_low()  # held down (or shorted) before the test begins
        return button

    result = check_button(stuck, 1.0, lambda message: pytest.fail("must not prompt"))
    assert result.status is Status.FAIL and "pressed before" in result.detail


def test_button_is_skipped_without_a_wait() -> None:
    result = check_button(lambda on_press: pytest.fail("must not touch the pin"), 0, print)
    assert result.status is Status.SKIP


# -- QR, models ------------------------------------------------------------------------------------


def test_built_in_code_is_read_by_the_booth_reader() -> None:
    from kiosk.codes.qr import QrReader

    assert check_qr(QrReader()).status is Status.OK


def test_reader_that_finds_nothing_fails() -> None:
    class Blind:
        def read(self, frame: np.ndarray) -> list[str]:
            return []

    result = check_qr(Blind())
    assert result.status is Status.FAIL
    assert "zxing-cpp" in result.hint
    assert check_qr(Blind(), np.zeros((10, 10, 3), np.uint8), "code.png").status is Status.FAIL


def test_reader_results_may_be_objects_with_text() -> None:
    class Found:
        text = SELFTEST_QR_TEXT

    class Reader:
        def read(self, frame: np.ndarray) -> list[Found]:
            return [Found()]

    assert check_qr(Reader()).status is Status.OK


def test_face_models_load_and_run() -> None:
    result = check_models(REPO / "models")
    assert result.status is Status.OK, result.detail
    assert set(result.data["run_ms"]) == {Path(name).stem for name in MODEL_FILES}


def test_models_are_found_through_the_package_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kiosk.vision.model_dir import default_models_dir

    monkeypatch.delenv("KIOSK_MODELS_DIR", raising=False)
    assert (default_models_dir() / MODEL_FILES[0]).is_file()
    monkeypatch.setenv("KIOSK_MODELS_DIR", str(tmp_path))
    assert default_models_dir() == tmp_path


def test_missing_model_file_fails(tmp_path: Path) -> None:
    result = check_models(tmp_path)
    assert result.status is Status.FAIL
    assert "face_detection_short_range.tflite is missing" in result.detail
    assert "reinstall" in result.hint and "KIOSK_MODELS_DIR" in result.hint


def test_missing_model_code_fails_with_a_hint() -> None:
    def no_module(path: Path) -> Any:
        raise ModuleNotFoundError("No module named 'kiosk.vision.interpreter'")

    result = check_models(REPO / "models", load_model=no_module)
    assert result.status is Status.FAIL
    assert "missing from this install" in result.detail


def test_missing_tflite_runtime_is_named() -> None:
    def no_runtime(path: Path) -> Any:
        raise RuntimeError("no TFLite runtime: install ai-edge-litert (or tflite-runtime)")

    result = check_models(REPO / "models", load_model=no_runtime)
    assert result.status is Status.FAIL and "ai-edge-litert" in result.hint


# -- disk, clock -----------------------------------------------------------------------------------


class Usage:
    def __init__(self, free_mb: int) -> None:
        self.free = free_mb * 1024 * 1024


def test_disk_below_the_watermark_fails(tmp_path: Path) -> None:
    result = check_disk(tmp_path, 500, disk_usage=lambda path: Usage(120))
    assert result.status is Status.FAIL
    assert "120 MB free" in result.detail and "500 MB" in result.detail
    assert check_disk(tmp_path, 500, disk_usage=lambda path: Usage(8000)).status is Status.OK


def test_unwritable_data_folder_fails(tmp_path: Path) -> None:
    result = check_disk(tmp_path / "data", 1, writable=lambda path: False)
    assert result.status is Status.FAIL and "sudo -u kiosk" in result.hint


def test_clock_states() -> None:
    assert check_clock(lambda argv: "yes").status is Status.OK
    unsynced = check_clock(lambda argv: "no")
    assert unsynced.status is Status.FAIL and "timedatectl" in unsynced.hint
    assert check_clock(lambda argv: None).status is Status.SKIP


# -- upload target ---------------------------------------------------------------------------------


def config_with_target(tmp_path: Path, target: str, **extra: str) -> Any:
    lines = [f'target = "{target}"', *(f'{key} = "{value}"' for key, value in extra.items())]
    path = tmp_path / "upload.toml"
    path.write_text("[upload]\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return load_config(path, data_dir=tmp_path / "data")


def test_folder_target_must_exist_and_be_writable(tmp_path: Path) -> None:
    stick = tmp_path / "stick"
    missing = check_upload(config_with_target(tmp_path, stick.as_uri().replace("file://", "dir://")))
    assert missing.status is Status.FAIL and "USB stick" in missing.hint
    stick.mkdir()
    present = check_upload(config_with_target(tmp_path, stick.as_uri().replace("file://", "dir://")))
    assert present.status is Status.OK
    assert list(stick.iterdir()) == []  # the probe file is gone again


def test_default_folder_target_is_made_on_first_use(tmp_path: Path) -> None:
    assert check_upload(load_config(None, data_dir=tmp_path / "data")).status is Status.OK


def test_server_target_reachable_or_not(tmp_path: Path) -> None:
    config = config_with_target(tmp_path, "https://centre.example/api")
    assert check_upload(config, probe=lambda url, t, u: 405).status is Status.OK
    assert check_upload(config, probe=lambda url, t, u: 503).status is Status.FAIL

    def unreachable(url: str, timeout: float, upload: Any) -> int:
        raise urllib.error.URLError(OSError("Name or service not known"))

    down = check_upload(config, probe=unreachable)
    assert down.status is Status.FAIL
    assert "Name or service not known" in down.detail and "DNS" in down.hint


def test_s3_target_without_boto3_fails_and_says_how_to_install_it(tmp_path: Path) -> None:
    """An S3 booth without the s3 extra could never send a photo: the self-test says so, and the uploader's
    gate (credentials) keeps it from starting, instead of letting it exit and restart every 10 s."""
    config = config_with_target(tmp_path, "s3://photos/booths", s3_endpoint_url="https://store.example")
    missing = check_upload(config, has_module=lambda name: False)
    assert missing.status is Status.FAIL and "boto3" in missing.detail and "--s3" in missing.hint
    gate = check_credentials(config, has_module=lambda name: False)
    assert gate.status is Status.FAIL and "boto3" in gate.detail and "--s3" in gate.hint
    assert "credentials" in GATE_CHECKS["uploader"]
    assert check_credentials(config, has_module=lambda name: True).status is not Status.FAIL
    probed: list[str] = []
    reached = check_upload(config, probe=lambda url, t, u: probed.append(url) or 403, has_module=lambda name: True)
    assert reached.status is Status.OK and probed == ["https://store.example"]


class _Head(BaseHTTPRequestHandler):
    def do_HEAD(self) -> None:  # noqa: N802 - the name http.server calls
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_http_status_talks_to_a_real_server(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Head)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/api"
        config = config_with_target(tmp_path, url)
        assert head_status(url, 2.0, config.upload) == 404
        assert check_upload(config).status is Status.OK
    finally:
        server.shutdown()
        server.server_close()


def test_unknown_failures_keep_their_check_name() -> None:
    assert fail("disk", "x", "y").to_dict()["status"] == "fail"


# -- first-boot set-up and the start gate -------------------------------------------------------------


def test_gate_keeps_an_unset_booth_from_serving_and_names_each_missing_step(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    code, out, _ = run_cli(capsys, "--data", str(data), "--gate", "booth", "--json", "--skip", "models")
    assert code == 1
    checks = {c["name"]: c for c in json.loads(out)["checks"]}
    assert set(checks) == {"keyring", "centre_key", "staff", "disk"}  # files only: no camera, no pins
    for name in ("keyring", "centre_key", "staff"):
        assert checks[name]["status"] == "fail" and "docs/install.md" in checks[name]["hint"], checks[name]
    assert "kiosk passwd" in checks["staff"]["hint"]

    make_ready(data)
    code, out, _ = run_cli(capsys, "--data", str(data), "--gate", "booth", "--skip", "models")
    assert code == 0, out


def test_gate_for_the_uploader_wants_the_upload_token(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    token = tmp_path / "upload-token"
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[upload]\ntarget = "https://centre.example/upload"\ntoken_file = "{token}"\n', encoding="utf-8")
    args = ("-c", str(config), "--data", str(tmp_path / "d"), "--gate", "uploader")
    code, out, _ = run_cli(capsys, *args)
    assert code == 1 and "FAIL  credentials  upload.token_file:" in out and "no such file" in out
    token.write_text("s3cret-token\n", encoding="utf-8")
    code, out, _ = run_cli(capsys, *args)
    assert code == 0 and "s3cret" not in out


def test_selftest_asks_for_a_calibration_until_the_backdrop_is_measured(
    capsys: pytest.CaptureFixture[str], ready_data: Path, synced_clock: None
) -> None:
    (ready_data / "calibration.json").unlink()
    only = [arg for name in CHECK_NAMES if name != "calibration" for arg in ("--skip", name)]
    code, out, _ = run_cli(capsys, "--data", str(ready_data), *only)
    assert code == 1
    assert "FAIL  calibration  the backdrop has not been measured on this booth" in out
    assert "kiosk calibrate" in out
