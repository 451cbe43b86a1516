"""Dependency floors stay above releases with published advisories, and the Pi installs from hashed pins."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]
LOCK = REPO / "systemd" / "pi-requirements.txt"
CONSTRAINTS = REPO / "systemd" / "pi-constraints.txt"

# A release the floor must exclude, and why (the advisory's fix is in the next release named).
ADVISORIES = {
    "waitress": ("3.0.0", "request smuggling and a denial of service, fixed in 3.0.1"),
    "requests": ("2.32.3", ".netrc credentials leak to third parties, fixed in 2.32.4"),
    "opencv-python-headless": ("4.8.0.76", "bundled libwebp heap overflow (CVE-2023-4863), fixed in 4.8.1.78"),
    "werkzeug": ("3.0.5", "multipart form parsing exhausts resources, fixed in 3.0.6"),
}


def _dependencies() -> dict[str, Requirement]:
    doc = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    reqs = [Requirement(r) for r in doc["project"]["dependencies"]]
    return {canonicalize_name(r.name): r for r in reqs}


def _locked() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) from the hashed requirements file."""
    text = LOCK.read_text(encoding="utf-8")
    pins: dict[str, tuple[str, list[str]]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        head = block.split("\\", 1)[0].strip()
        if not head or head.startswith("#"):
            continue
        name, _, version = head.partition("==")
        pins[canonicalize_name(name)] = (version.strip(), re.findall(r"--hash=sha256:([0-9a-f]{64})", block))
    return pins


@pytest.mark.parametrize("name", sorted(ADVISORIES))
def test_floors_exclude_releases_with_advisories(name: str) -> None:
    version, why = ADVISORIES[name]
    requirement = _dependencies()[name]
    assert not requirement.specifier.contains(version), f"{name} {version} is still allowed: {why}"


def test_every_dependency_is_pinned_with_hashes_within_its_floor() -> None:
    pins = _locked()
    constraints = [Requirement(line) for line in CONSTRAINTS.read_text().splitlines() if line and line[0] != "#"]
    for name, requirement in _dependencies().items():
        assert name in pins, f"{name} is missing from {LOCK.name}: run scripts/lock-pi.sh"
        version, hashes = pins[name]
        assert requirement.specifier.contains(version), f"{name}=={version} is below the floor {requirement}"
    for name, (version, hashes) in pins.items():
        assert hashes, f"{name}=={version} has no hash"
    for constraint in constraints:  # the constraints file stays usable as constraints: plain specifiers
        version = pins[canonicalize_name(constraint.name)][0]
        assert constraint.specifier.contains(version), f"{constraint.name}=={version} breaks {constraint}"
    assert pins["numpy"][0] == "1.24.2"  # the OS's numpy (python3-numpy on Bookworm) satisfies it


def test_the_installer_installs_from_the_hashed_pins() -> None:
    script = (REPO / "systemd" / "install.sh").read_text(encoding="utf-8")
    assert '--require-hashes --requirement "$here/pi-requirements.txt"' in script
    assert "--no-deps" in script  # the booth itself adds no unpinned dependency
