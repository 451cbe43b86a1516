"""Reading systemd unit files as ``Section.Key`` -> values, for the deployment tests."""

from __future__ import annotations

from pathlib import Path


def parse_unit(path: Path) -> dict[str, list[str]]:
    """``Section.Key`` -> every value given, comments left out."""
    values: dict[str, list[str]] = {}
    section = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        values.setdefault(f"{section}.{key.strip()}", []).append(value.strip())
    return values
