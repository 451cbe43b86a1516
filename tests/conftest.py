"""Shared test helpers: where the team's shared material is, and small fakes for the booth's ports."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_upload_helpers import Keys, write_keys

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
FACES = SHARED / "data" / "faces"


@pytest.fixture
def faces_dir() -> Path:
    if not (FACES / "labels.csv").is_file():
        pytest.skip(f"shared face photos not found at {FACES}")
    return FACES


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    """A centre key pair on disk."""
    return write_keys(tmp_path / "keys")


@pytest.fixture(autouse=True)
def _fresh_cli_logging() -> Iterator[None]:
    """Drop the stderr handler ``kiosk.cli.main`` puts on the root logger.

    It writes to the stderr pytest captured for the test that first called main(); later tests would
    log into that closed stream. pytest's own handlers are subclasses and are left alone.
    """
    _drop_plain_handlers()
    yield
    _drop_plain_handlers()


def _drop_plain_handlers() -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if type(handler) is logging.StreamHandler:
            root.removeHandler(handler)
