"""The README's compliance figures are the bench's: the bench's ``--subset`` run (a small fixed part of
the held-out photos, one thread, so it repeats exactly) must print the tables the README holds.
After changing a check or a threshold, refresh them with
``python bench/compliance.py ../shared/data/faces --subset --update-readme``.
Skipped when the shared photos are not present."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.helpers.paths import FACES

ROOT = Path(__file__).resolve().parents[1]
FRONTAL = ROOT.parent / "shared" / "data" / "frontal_orl"

pytestmark = pytest.mark.skipif(
    not (FACES / "labels.csv").is_file() or not FRONTAL.is_dir(), reason=f"shared photos not found at {FACES.parent}"
)


def load_bench():
    """bench/compliance.py as a module (it puts the repository and bench/ on the import path itself)."""
    spec = importlib.util.spec_from_file_location("compliance_bench", ROOT / "bench" / "compliance.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


def test_readme_subset_tables_are_what_the_bench_prints() -> None:
    bench = load_bench()
    printed = bench.subset_markdown(FACES, FRONTAL).strip()
    held = bench.readme_block(ROOT / "README.md")
    stale = "README's compliance subset tables are stale: run bench/compliance.py --subset --update-readme"
    assert held == printed, stale
    assert "| frontal_orl |" in held and "false rejects" in held
