"""Where the checkout and the team's shared material (face photos, spec) are, seen from the tests."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
FACES = SHARED / "data" / "faces"
FRONTAL = SHARED / "data" / "frontal_orl"
