"""Images declaring too many pixels are refused from their header, before decoding, with one line."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.cli import main
from kiosk.core.images import MAX_PIXELS, ImageTooLarge, check_pixels
from tests.helpers.bombs import jpeg_declaring, png_declaring
from tests.helpers.upload import Keys


def test_a_tiny_png_bomb_is_refused() -> None:
    bomb = png_declaring(100_000, 100_000)
    assert len(bomb) < 100
    with pytest.raises(ImageTooLarge):
        check_pixels(bomb)


@pytest.mark.parametrize(
    "data, ok",
    [
        (jpeg_declaring(4056, 3040), True),  # 12 MP, the HQ camera's still
        (jpeg_declaring(8000, 6000), True),  # 48 MP
        (png_declaring(8000, 6000), True),
        (jpeg_declaring(9000, 9000), False),  # 81 MP
        (jpeg_declaring(20_000, 20_000), False),  # took crop and queue add to 2.5 GB
        (png_declaring(30_000, 30_000), False),  # took crop to 5.4 GB
        (png_declaring(100_000, 100_000), False),
    ],
)
def test_limit_from_the_header(data: bytes, ok: bool) -> None:
    if ok:
        w, h = check_pixels(data)
        assert w * h <= MAX_PIXELS
    else:
        with pytest.raises(ImageTooLarge, match="refused"):
            check_pixels(data)


@pytest.fixture
def bombs(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, data in {
        "bomb.png": png_declaring(100_000, 100_000),
        "big.png": png_declaring(30_000, 30_000),
        "big.jpg": jpeg_declaring(20_000, 20_000),
    }.items():
        out[name] = tmp_path / name
        out[name].write_bytes(data)
    return out


def _one_line_refusal(capsys: pytest.CaptureFixture[str], name: str) -> None:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and name in err and "refused" in err and "Traceback" not in err, err


@pytest.mark.parametrize("name", ["bomb.png", "big.png", "big.jpg"])
def test_commands_refuse_with_one_line_and_exit_2(
    tmp_path: Path, bombs: dict[str, Path], name: str, capsys: pytest.CaptureFixture[str], keys: Keys, monkeypatch
) -> None:
    import io

    path = str(bombs[name])
    assert main(["check", path]) == 2
    _one_line_refusal(capsys, name)
    out = str(tmp_path / "out.jpg")
    assert main(["crop", path, "-o", out, "--geometry", "100,200,200,150"]) == 2
    _one_line_refusal(capsys, name)
    assert main(["sheet", path, "-o", out, "--geometry", "100,200,200,150"]) == 2
    _one_line_refusal(capsys, name)
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(
        f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n[upload]\ncentre_public_key = "{keys.public_path}"\n'
        "min_free_mb = 0\n"
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("王五\n110101199001015678\n"))
    args = ["queue", "add", path, "-c", str(cfg), "--uid", "U-1", "--school", "s", "--level", "l"]
    assert main(args) == 2
    err = capsys.readouterr()
    assert "refused" in err.err and name in err.err and err.err.count("\n") == 1, err
    assert not list((tmp_path / "data").rglob("*.xce"))


def test_the_replay_camera_skips_an_image_over_the_limit(tmp_path: Path) -> None:
    from kiosk.hw.replay import read_image

    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_declaring(100_000, 100_000))
    assert read_image(bomb) is None
    fine = tmp_path / "fine.png"
    cv2.imwrite(str(fine), np.zeros((30, 20, 3), np.uint8))
    assert read_image(fine).shape == (30, 20, 3)
