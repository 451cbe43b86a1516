"""Configuration: defaults that serve a laptop, and one clear line for every mistake."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from kiosk.core.config import ConfigError, load_config, option_keys

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "kiosk.example.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_serve_a_laptop(tmp_path):
    config = load_config(data_dir=tmp_path)
    assert config.camera.source == "replay"
    assert config.gpio.pin_factory == "mock"
    assert config.web.host == "127.0.0.1"
    assert config.data_dir == tmp_path
    assert config.upload_target.startswith("dir://") and config.upload_target.endswith("/upload")


def test_example_file_loads_and_documents_every_option():
    config = load_config(EXAMPLE)
    assert config == load_config(None)  # the example states the defaults
    raw = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))

    def present(key: str) -> bool:
        node = raw
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return True

    # Light scenes are written as inline tables, which must name every light.
    missing = [k for k in option_keys() if not present(k)]
    assert missing == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[camera]\nsourse = 'replay'\n", "camera.sourse: unknown option"),
        ("[camera]\nsource = 'webcam'\n", "camera.source: expected 'picamera2', 'replay'"),
        ("[camera]\npreview_fps = 'fast'\n", "camera.preview_fps: expected an integer, got 'fast'"),
        ("[camera]\npreview_fps = 500\n", "camera.preview_fps: expected a number from 1 to 60, got 500"),
        ("[gpio.pins]\nbutton = 40\n", "gpio.pins.button: expected a BCM GPIO number from 0 to 27, got 40"),
        ("[gpio]\npin_factory = 'fake'\n", "gpio.pin_factory: expected one of 'mock'"),
        ("[lights]\npose = { key = 2 }\n", "lights.pose.key: expected a number from 0 to 1, got 2"),
        ("[booth]\nretake_after_accept = 'yes'\n", "booth.retake_after_accept: expected true or false"),
        ("[camera]\npreview_size = [640]\n", "camera.preview_size: expected 2 values, got 1"),
        ("[kiosk]\nid = ''\n", "kiosk.id: expected 1 to 40 characters"),
        ("[web\nport = 1\n", "not valid TOML"),
        ("camera = 3\n", "camera: expected a table"),
    ],
)
def test_mistakes_name_the_key(tmp_path, text, expected):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    message = str(err.value)
    assert expected in message
    assert "\n" not in message


def test_missing_file_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.toml")


def test_cli_prints_one_line_and_no_traceback(tmp_path):
    bad = write(tmp_path, "[camera]\nsourse = 'replay'\n")
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk", "run", "-c", str(bad), "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert re.fullmatch(r"kiosk: camera\.sourse: unknown option \(expected one of: .*\)\n", proc.stderr)


def test_a_relative_data_folder_is_taken_from_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(None, "booth-data")
    assert config.data_dir == tmp_path / "booth-data"
    assert config.upload_target == f"dir://{tmp_path / 'booth-data' / 'upload'}"
