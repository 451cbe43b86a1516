"""The README's compliance figures are the bench's: the bench's ``--subset`` run (a small fixed part of
the held-out photos, one thread, so it repeats exactly) must print the tables the README holds.
After changing a check or a threshold, refresh them with
``python bench/compliance.py ../shared/data/faces --subset --update-readme``.
Skipped when the shared photos are not present."""

from __future__ import annotations

import pytest

from tests.helpers.benches import load_bench
from tests.helpers.paths import FACES, FRONTAL, REPO

pytestmark = pytest.mark.skipif(
    not (FACES / "labels.csv").is_file() or not FRONTAL.is_dir(), reason=f"shared photos not found at {FACES.parent}"
)


def test_readme_subset_tables_are_what_the_bench_prints() -> None:
    bench = load_bench("compliance")
    printed = bench.subset_markdown(FACES, FRONTAL).strip()
    held = bench.readme_block(REPO / "README.md")
    stale = "README's compliance subset tables are stale: run bench/compliance.py --subset --update-readme"
    assert held == printed, stale
    assert "| frontal_orl |" in held and "false rejects" in held
