"""Shared test helpers: where the team's shared material is, and small fakes for the booth's ports."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
FACES = SHARED / "data" / "faces"


@pytest.fixture
def faces_dir() -> Path:
    if not (FACES / "labels.csv").is_file():
        pytest.skip(f"shared face photos not found at {FACES}")
    return FACES
