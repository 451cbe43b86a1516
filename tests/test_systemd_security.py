"""The units' sandbox, as ``systemd-analyze security`` scores it offline: 2.0 or lower for both.

The exposure figure (0 safest, 10 most exposed) is computed from the unit file alone, so it needs no
running systemd. A change that loosens a unit beyond the figure fails here with the analysis printed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers.units import parse_unit

SYSTEMD = Path(__file__).resolve().parents[1] / "systemd"
MAX_EXPOSURE = 2.0
DATA = "/var/lib/kiosk"
# What the uploader, the network-facing process, must never be able to read in the data folder.
SECRETS = ("keyring.toml", "uid-keys", "booth.sqlite", "staff-passwords", "staff-sessions", "staff-session.key")


def exposure(unit: Path) -> tuple[float, str]:
    done = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--man=no", "--no-pager", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = done.stdout + done.stderr
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", output)
    assert match, output
    return float(match[1]), output


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
@pytest.mark.parametrize("unit", ["kiosk.service", "kiosk-uploader.service"])
def test_exposure_is_at_most_two(unit: str) -> None:
    level, output = exposure(SYSTEMD / unit)
    assert level <= MAX_EXPOSURE, output


@pytest.mark.parametrize("unit", ["kiosk.service", "kiosk-uploader.service"])
def test_units_filter_calls_and_bound_memory(unit: str) -> None:
    values = parse_unit(SYSTEMD / unit)
    assert "@system-service" in values["Service.SystemCallFilter"]
    assert "~@privileged @resources" in values["Service.SystemCallFilter"]
    assert values["Service.ProtectProc"] == ["invisible"]
    assert values["Service.RestrictRealtime"] == ["true"]
    assert values["Service.LimitCORE"] == ["0"]  # a core dump would hold a photo in clear
    assert re.fullmatch(r"\d+[MG]", values["Service.MemoryMax"][0])


def test_uploader_cannot_reach_the_booths_secrets() -> None:
    values = parse_unit(SYSTEMD / "kiosk-uploader.service")
    hidden = {p.removeprefix("-") for line in values["Service.InaccessiblePaths"] for p in line.split()}
    for name in SECRETS:
        assert f"{DATA}/{name}" in hidden, name
    assert "kiosk.service" in values["Unit.After"][0]  # the booth's files exist when the paths are hidden
