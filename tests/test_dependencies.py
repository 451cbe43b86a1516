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
LOCK_S3 = REPO / "systemd" / "pi-requirements-s3.txt"  # the booth's pins plus the "s3" extra
CONSTRAINTS = REPO / "systemd" / "pi-constraints.txt"

# A release the floor must exclude, and why (the advisory's fix is in the next release named).
ADVISORIES = {
    "waitress": ("3.0.0", "request smuggling and a denial of service, fixed in 3.0.1"),
    "requests": ("2.32.3", ".netrc credentials leak to third parties, fixed in 2.32.4"),
    "opencv-python-headless": ("4.8.0.76", "bundled libwebp heap overflow (CVE-2023-4863), fixed in 4.8.1.78"),
    "werkzeug": ("3.0.5", "multipart form parsing exhausts resources, fixed in 3.0.6"),
}


def _dependencies(extra: str | None = None) -> dict[str, Requirement]:
    """The core dependencies, or those of one optional extra."""
    doc = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    given = doc["project"]["dependencies"] if extra is None else doc["project"]["optional-dependencies"][extra]
    reqs = [Requirement(r) for r in given]
    return {canonicalize_name(r.name): r for r in reqs}


def _locked(lock: Path = LOCK) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) from a hashed requirements file."""
    text = lock.read_text(encoding="utf-8")
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
    assert '--require-hashes --requirement "$pins"' in script  # which pins: tests/test_systemd.py's dry runs
    assert "--no-deps" in script  # the booth itself adds no unpinned dependency


def test_an_s3_booth_gets_the_same_pins_plus_boto3() -> None:
    """boto3 is the "s3" extra: not in the booth's pins; the S3 pins add it and change nothing else."""
    booth, s3 = _locked(), _locked(LOCK_S3)
    assert "boto3" not in _dependencies() and "boto3" not in booth, "boto3 belongs to the s3 extra only"
    for name, pin in booth.items():
        assert s3.get(name) == pin, f"{name}: {LOCK_S3.name} differs from {LOCK.name}: run scripts/lock-pi.sh"
    for name, requirement in _dependencies("s3").items():
        assert name in s3, f"{name} is missing from {LOCK_S3.name}: run scripts/lock-pi.sh"
        assert requirement.specifier.contains(s3[name][0]), f"{name}=={s3[name][0]} is below the floor {requirement}"
    assert all(hashes for _, hashes in s3.values())
    added = set(s3) - set(booth)
    assert "boto3" in added and added <= {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six"}
