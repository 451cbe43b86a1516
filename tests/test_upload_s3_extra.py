"""A booth configured for s3:// without the optional "s3" extra (boto3): one line that says how to install it.

boto3 is not a core dependency; a booth that sends to S3 installs it with ``systemd/install.sh --s3``.
One that forgot must hear so in a single line with exit status 2, not a traceback from deep in the
uploader, whichever way the uploader is started.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kiosk.cli import main
from tests.helpers.upload import Keys


@pytest.fixture
def s3_booth(tmp_path: Path, keys: Keys, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config sending to s3:// on a machine where ``import boto3`` fails."""
    monkeypatch.setitem(sys.modules, "boto3", None)  # None in sys.modules: the import raises ImportError
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(
        f'[kiosk]\nid = "booth-07"\ndata_dir = "{tmp_path / "data"}"\n'
        f'[upload]\ntarget = "s3://photos/booths"\ncentre_public_key = "{keys.public_path}"\nmin_free_mb = 0\n'
        's3_endpoint_url = "http://127.0.0.1:9"\n'
    )
    return cfg


@pytest.mark.parametrize("once", [["--once"], []], ids=["once", "service"])
def test_the_uploader_says_in_one_line_that_boto3_is_missing(
    s3_booth: Path, once: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["uploader", "-c", str(s3_booth), *once]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "s3:// needs boto3" in err and "install.sh --s3" in err and "kiosk[s3]" in err
