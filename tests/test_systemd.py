"""The deployment files: systemd units that verify, the kiosk browser launcher, and the installer's plan.

``systemd-analyze verify`` also checks that each ExecStart program exists and is executable. The
program only exists on an installed booth (/opt/kiosk/venv/bin/kiosk), so the units are copied into a
temporary folder with that one path pointed at a stand-in script; every other line is verified as
written, and a separate test pins the real ExecStart lines. (``--root`` would keep the path, but then
systemd looks for every unit the booth's depend on, down to sysinit.target, inside that root too.)
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.core.config import load_config
from tests.helpers.units import parse_unit

REPO = Path(__file__).resolve().parents[1]
SYSTEMD = REPO / "systemd"
UNITS = ("kiosk.service", "kiosk-uploader.service")
INSTALLED_KIOSK = "/opt/kiosk/venv/bin/kiosk"
APT_PACKAGES = ("python3-picamera2", "python3-venv", "libzbar0", "fonts-noto-cjk", "curl")
# Where a real install writes; the dry run must leave each of them as it found it.
SHELLCHECK = shutil.which("shellcheck") or shutil.which("shellcheck", path=str(Path(sys.executable).parent))
INSTALL_PATHS = (
    "/opt/kiosk",
    "/etc/kiosk",
    "/var/lib/kiosk",
    "/etc/systemd/system/kiosk.service",
    "/etc/systemd/system/kiosk-uploader.service",
    "/usr/local/bin/kiosk-browser",
)


def executable(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


# -- units -----------------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    stand_in = executable(tmp_path / "kiosk", "#!/bin/sh\nexit 0\n")
    for unit in UNITS:
        text = (SYSTEMD / unit).read_text(encoding="utf-8")
        assert INSTALLED_KIOSK in text
        (tmp_path / unit).write_text(text.replace(INSTALLED_KIOSK, str(stand_in)), encoding="utf-8")
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(str(tmp_path / unit) for unit in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    # Unknown keys and bad values are only warnings to systemd; here they fail the test.
    complaints = [line for line in output.splitlines() if any(unit in line for unit in UNITS)]
    assert complaints == []


def test_booth_unit_is_a_watched_notify_service() -> None:
    unit = parse_unit(SYSTEMD / "kiosk.service")
    service = {key.removeprefix("Service."): values[-1] for key, values in unit.items() if key.startswith("Service.")}
    assert service["Type"] == "notify"
    assert service["NotifyAccess"] == "main"
    assert service["WatchdogSec"] == "30"
    assert service["Restart"] == "on-failure"
    assert "RestartSec" in service
    assert (service["User"], service["Group"]) == ("kiosk", "kiosk")
    assert service["SupplementaryGroups"].split() == ["video", "gpio"]
    assert service["ExecStart"] == f"{INSTALLED_KIOSK} run -c /etc/kiosk/kiosk.toml --data /var/lib/kiosk"
    assert service["ProtectSystem"] == "strict"
    assert service["ProtectHome"] == service["PrivateTmp"] == service["NoNewPrivileges"] == "true"
    assert service["ReadWritePaths"] == "/var/lib/kiosk"
    assert unit["Install.WantedBy"] == ["multi-user.target"]


@pytest.mark.parametrize(("unit", "gate"), [("kiosk.service", "booth"), ("kiosk-uploader.service", "uploader")])
def test_units_start_only_once_the_booth_is_set_up(unit: str, gate: str) -> None:
    values = parse_unit(SYSTEMD / unit)
    assert values["Service.ExecCondition"] == [
        f"{INSTALLED_KIOSK} selftest --gate {gate} -c /etc/kiosk/kiosk.toml --data /var/lib/kiosk"
    ]


def test_booth_unit_keeps_camera_and_gpio_devices_reachable() -> None:
    service = parse_unit(SYSTEMD / "kiosk.service")
    # Each of these would hide /dev/video*, /dev/media*, /dev/dma_heap or /dev/gpiochip* from the booth.
    for key in ("PrivateDevices", "ProtectClock", "DevicePolicy", "DeviceAllow", "ProtectKernelTunables"):
        assert f"Service.{key}" not in service, key


def test_uploader_unit_runs_the_uploader_without_hardware_groups() -> None:
    unit = parse_unit(SYSTEMD / "kiosk-uploader.service")
    service = {key.removeprefix("Service."): values[-1] for key, values in unit.items() if key.startswith("Service.")}
    assert service["ExecStart"] == f"{INSTALLED_KIOSK} uploader -c /etc/kiosk/kiosk.toml --data /var/lib/kiosk"
    assert (service["User"], service["Group"]) == ("kiosk", "kiosk")
    assert "SupplementaryGroups" not in service
    assert service["PrivateDevices"] == "true"
    assert service["ProtectSystem"] == "strict" and service["ReadWritePaths"] == "/var/lib/kiosk"
    assert service["NoNewPrivileges"] == service["ProtectHome"] == service["PrivateTmp"] == "true"
    assert "network-online.target" in unit["Unit.After"][0]


# -- the browser launcher --------------------------------------------------------------------------

BROWSER_FLAGS = (
    "--kiosk",
    "--noerrdialogs",
    "--disable-infobars",
    "--no-first-run",
    "--disable-translate",
    "--disable-session-crashed-bubble",
    "--hide-crash-restore-bubble",
    "--check-for-update-interval=31536000",
    "--password-store=basic",
    "--incognito",
    "--autoplay-policy=no-user-gesture-required",
    "--touch-events=enabled",
    "--disable-pinch",
    "--overscroll-history-navigation=0",
)


def fake_tools(folder: Path, curl_status: str) -> Path:
    """A PATH folder with a curl that answers ``curl_status`` and a chromium that records its arguments."""
    folder.mkdir()
    executable(folder / "curl", f"#!/bin/sh\nprintf '{curl_status}'\n")
    executable(folder / "chromium", '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done > "$ARGS_FILE"\n')
    for tool in ("bash", "sleep", "mkdir", "rm", "install", "id", "printf"):
        found = shutil.which(tool)
        if found and not (folder / tool).exists():
            (folder / tool).symlink_to(found)
    return folder


def run_browser(
    tmp_path: Path, curl_status: str, wait_s: str = "5"
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    tools = fake_tools(tmp_path / "bin", curl_status)
    args_file = tmp_path / "chromium-args"
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = {
        "PATH": str(tools),
        "ARGS_FILE": str(args_file),
        "XDG_RUNTIME_DIR": str(runtime),
        "KIOSK_WAIT_S": wait_s,
        "HOME": str(tmp_path),
    }
    done = subprocess.run(
        ["bash", str(SYSTEMD / "kiosk-browser.sh")], env=env, capture_output=True, text=True, timeout=30
    )
    args = args_file.read_text().splitlines() if args_file.exists() else []
    return done, args


def test_browser_waits_for_readyz_then_opens_the_page_in_kiosk_mode(tmp_path: Path) -> None:
    done, args = run_browser(tmp_path, "200")
    assert done.returncode == 0, done.stderr
    assert "booth is ready" in done.stderr
    for flag in BROWSER_FLAGS:
        assert flag in args, flag
    features = next(a for a in args if a.startswith("--disable-features="))
    assert "Translate" in features.split("=", 1)[1].split(",")
    profile = next(a for a in args if a.startswith("--user-data-dir="))
    assert profile == f"--user-data-dir={tmp_path / 'run' / 'kiosk-chromium'}"
    assert args[-1] == "http://127.0.0.1:8080/"


def test_browser_wait_is_bounded(tmp_path: Path) -> None:
    started = time.monotonic()
    done, args = run_browser(tmp_path, "000", wait_s="1")
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 10
    assert "did not answer http://127.0.0.1:8080/readyz" in done.stderr
    assert "--kiosk" in args  # the page opens anyway: it shows the booth's own error


def test_browser_script_polls_readyz_with_a_timeout() -> None:
    script = (SYSTEMD / "kiosk-browser.sh").read_text(encoding="utf-8")
    assert script.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in script
    assert "/readyz" in script and "--max-time" in script
    assert os.access(SYSTEMD / "kiosk-browser.sh", os.X_OK)


def test_desktop_autostart_snippets_start_the_browser() -> None:
    labwc = (SYSTEMD / "labwc-autostart").read_text(encoding="utf-8")
    assert "/usr/local/bin/kiosk-browser &" in labwc
    assert subprocess.run(["sh", "-n", str(SYSTEMD / "labwc-autostart")], timeout=10).returncode == 0
    wayfire = parse_unit(SYSTEMD / "wayfire-autostart.ini")
    assert wayfire["autostart.kiosk"] == ["/usr/local/bin/kiosk-browser"]
    assert wayfire["idle.dpms_timeout"] == ["-1"]


# -- installer -------------------------------------------------------------------------------------


def run_script(name: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SYSTEMD / name), *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def snapshot() -> dict[str, float | None]:
    return {path: (os.stat(path).st_mtime if os.path.exists(path) else None) for path in INSTALL_PATHS}


def test_install_dry_run_prints_the_plan_and_changes_nothing(tmp_path: Path) -> None:
    before = snapshot()
    user = subprocess.run(["id", "-un"], capture_output=True, text=True, check=True).stdout.strip()
    done = run_script("install.sh", tmp_path, "--dry-run", "--desktop-user", user)
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert list(tmp_path.iterdir()) == []
    assert snapshot() == before

    apt_line = next(line for line in out.splitlines() if "apt-get install" in line)
    for package in APT_PACKAGES:
        # Raspberry Pi OS's own packages are skipped, one line each, where apt does not know them.
        skipped = f"install: skip: {package} is not in this machine's apt sources (Raspberry Pi OS only)"
        assert package in apt_line.split() or skipped in out.splitlines(), package
    assert "chromium" in apt_line or "chromium-browser" in apt_line
    usermod = next(line for line in out.splitlines() if line.startswith("+ usermod"))
    assert "video" in usermod and "gpio" in usermod and usermod.endswith(" kiosk")
    if "user kiosk exists" not in out:
        assert "+ useradd --system" in out
    assert "+ /usr/bin/python3 -m venv --system-site-packages /opt/kiosk/venv" in out
    assert "+ install -m 0755 " in out and out.rstrip().count("/usr/local/bin/kiosk\n") >= 1
    assert "--constraint" in out and "pi-constraints.txt" in out
    assert f"-m pip install --require-hashes --requirement {SYSTEMD}/pi-requirements.txt" in out
    assert "install -d -m 0700 -o kiosk -g kiosk /var/lib/kiosk" in out
    assert "/etc/kiosk/kiosk.toml" in out
    for unit in UNITS:
        assert f"/etc/systemd/system/{unit}" in out
    assert "+ systemctl enable kiosk.service kiosk-uploader.service" in out
    assert "kiosk selftest -c /etc/kiosk/kiosk.toml --data /var/lib/kiosk" in out
    assert "/usr/local/bin/kiosk-browser" in out
    assert "labwc/autostart" in out


def test_an_s3_booth_installs_the_pins_with_boto3(tmp_path: Path) -> None:
    done = run_script("install.sh", tmp_path, "--dry-run", "--no-desktop", "--s3")
    assert done.returncode == 0, done.stderr
    assert f"-m pip install --require-hashes --requirement {SYSTEMD}/pi-requirements-s3.txt" in done.stdout


def test_install_needs_root_unless_dry_run(tmp_path: Path) -> None:
    command = ["bash", str(SYSTEMD / "install.sh"), "--no-start"]
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            pytest.skip("running as root, and runuser is missing")
        command = ["runuser", "-u", "nobody", "--", *command]
    done = subprocess.run(command, cwd="/", capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert "run me as root: sudo" in done.stderr and "--no-start" in done.stderr


def test_install_rejects_unknown_options(tmp_path: Path) -> None:
    done = run_script("install.sh", tmp_path, "--colour")
    assert done.returncode == 2 and "unknown option --colour" in done.stderr


def test_installed_config_is_valid_and_uses_the_pi_hardware(tmp_path: Path) -> None:
    done = run_script("install.sh", tmp_path, "--print-config")
    assert done.returncode == 0, done.stderr
    path = tmp_path / "kiosk.toml"
    path.write_text(done.stdout, encoding="utf-8")
    config = load_config(path)
    assert config.camera.source == "picamera2"
    assert config.gpio.pin_factory == "lgpio"


def test_pi_constraints_keep_numpy_below_2() -> None:
    lines = [
        line.strip()
        for line in (SYSTEMD / "pi-constraints.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert "numpy<2" in lines
    assert any(line.startswith("opencv-python-headless<") for line in lines)


def test_uninstall_dry_run_keeps_the_data_unless_purged(tmp_path: Path) -> None:
    before = snapshot()
    kept = run_script("uninstall.sh", tmp_path, "--dry-run")
    assert kept.returncode == 0, kept.stderr
    assert "+ rm -rf /opt/kiosk" in kept.stdout
    assert "/var/lib/kiosk" not in "".join(line for line in kept.stdout.splitlines() if line.startswith("+"))
    assert "kept /var/lib/kiosk" in kept.stdout
    purged = run_script("uninstall.sh", tmp_path, "--dry-run", "--purge")
    assert purged.returncode == 0, purged.stderr
    assert "+ rm -rf /var/lib/kiosk /etc/kiosk" in purged.stdout
    assert list(tmp_path.iterdir()) == []
    assert snapshot() == before


@pytest.mark.skipif(SHELLCHECK is None, reason="shellcheck is not installed")
def test_scripts_are_shellcheck_clean() -> None:
    assert SHELLCHECK is not None
    scripts = [
        SYSTEMD / name for name in ("install.sh", "uninstall.sh", "common.sh", "kiosk-browser.sh", "kiosk-command.sh")
    ]
    done = subprocess.run([SHELLCHECK, "-x", *map(str, scripts)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout


def test_scripts_are_strict_bash() -> None:
    for name in ("install.sh", "uninstall.sh", "kiosk-browser.sh"):
        text = (SYSTEMD / name).read_text(encoding="utf-8")
        assert text.startswith("#!/usr/bin/env bash\n"), name
        assert "set -euo pipefail" in text, name
        assert subprocess.run(["bash", "-n", str(SYSTEMD / name)], timeout=10).returncode == 0
