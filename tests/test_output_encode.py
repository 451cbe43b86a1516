"""The file rules of photo-spec 1.2: size band, quality floor, baseline 4:2:0, 300 dpi JFIF, no metadata."""

from __future__ import annotations

import logging
import struct

import cv2
import numpy as np
import pytest

from kiosk.output import EncodeError, EncodeRules, encode_in_band, encode_jpeg, make_registration
from kiosk.output.jfif import normalise
from tests.helpers.portraits import synthetic_portrait

KB = 1024


def markers(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, payload) of every segment up to SOS, parsed independently of the product code."""
    assert data[:2] == b"\xff\xd8", "no SOI"
    out = [(0xD8, b"")]
    i = 2
    while True:
        assert data[i] == 0xFF
        m = data[i + 1]
        (n,) = struct.unpack(">H", data[i + 2 : i + 4])
        out.append((m, data[i + 4 : i + 2 + n]))
        i += 2 + n
        if m == 0xDA:
            assert data[-2:] == b"\xff\xd9", "no EOI"
            return out


@pytest.fixture(scope="module")
def registration():
    still, head = synthetic_portrait(noise=5)
    return make_registration(still, head)


def test_realistic_picture_lands_in_the_size_band(registration) -> None:
    e = registration.encoded
    assert 30 * KB <= e.size_bytes <= 40 * KB
    assert 60 <= e.quality <= 95
    assert not e.under_min
    image = cv2.imdecode(np.frombuffer(e.data, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (640, 480, 3)


def test_quality_is_the_highest_that_fits() -> None:
    still, head = synthetic_portrait(noise=5)
    photo = make_registration(still, head)
    from kiosk.output.render import crop_resize

    image = crop_resize(still, photo.placement.rect, (480, 640))
    q = photo.encoded.quality
    assert len(encode_jpeg(image, q)) == photo.encoded.size_bytes
    if q < 95:
        assert len(encode_jpeg(image, q + 1)) > 40 * KB


def test_only_the_allowed_segments(registration) -> None:
    segs = markers(registration.jpeg)
    kinds = [m for m, _ in segs]
    assert kinds[0] == 0xD8 and kinds[1] == 0xE0 and kinds[-1] == 0xDA
    allowed = {0xD8, 0xE0, 0xDB, 0xC0, 0xC4, 0xDA, 0xDD}
    assert set(kinds) <= allowed, [hex(k) for k in set(kinds) - allowed]
    assert kinds.count(0xE0) == 1
    assert 0xC2 not in kinds  # not progressive


def test_jfif_density_is_300_dpi(registration) -> None:
    app0 = next(p for m, p in markers(registration.jpeg) if m == 0xE0)
    assert app0[:5] == b"JFIF\x00"
    units, xd, yd, tw, th = struct.unpack(">BHHBB", app0[7:14])
    assert (units, xd, yd, tw, th) == (1, 300, 300, 0, 0)


def test_baseline_24_bit_420(registration) -> None:
    sof = next(p for m, p in markers(registration.jpeg) if m == 0xC0)
    precision, height, width, comps = struct.unpack(">BHHB", sof[:6])
    assert (precision, width, height, comps) == (8, 480, 640, 3)
    sampling = [sof[6 + 3 * i + 1] for i in range(3)]
    assert sampling == [0x22, 0x11, 0x11]  # Y 2x2, Cb and Cr 1x1: 4:2:0


def test_normalise_strips_exif_icc_and_comments() -> None:
    image = np.full((64, 48, 3), 128, np.uint8)
    ok, buf = cv2.imencode(".jpg", image)
    assert ok
    data = buf.tobytes()
    exif = b"\xff\xe1" + struct.pack(">H", 2 + 12) + b"Exif\x00\x00" + b"\x00" * 6
    icc = b"\xff\xe2" + struct.pack(">H", 2 + 14) + b"ICC_PROFILE\x00\x01\x01"
    com = b"\xff\xfe" + struct.pack(">H", 2 + 5) + b"hello"
    dirty = data[:2] + exif + icc + com + data[2:]
    clean = normalise(dirty, 300)
    kinds = [m for m, _ in markers(clean)]
    assert 0xE1 not in kinds and 0xE2 not in kinds and 0xFE not in kinds
    assert kinds.count(0xE0) == 1
    assert cv2.imdecode(np.frombuffer(clean, np.uint8), cv2.IMREAD_COLOR) is not None


def test_flat_picture_keeps_quality_95_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    image = np.full((640, 480, 3), (255, 197, 100), np.uint8)
    with caplog.at_level(logging.WARNING, logger="kiosk.output.encode"):
        result = encode_in_band(image)
    assert result.quality == 95
    assert result.under_min and result.size_bytes < 30 * KB
    assert "under the 30 KB minimum" in caplog.text


def test_pure_noise_cannot_fit_and_says_so() -> None:
    image = np.random.default_rng(0).integers(0, 256, (640, 480, 3), dtype=np.uint8)
    with pytest.raises(EncodeError, match="quality 60"):
        encode_in_band(image)


def test_band_and_dpi_are_parameters() -> None:
    still, head = synthetic_portrait(noise=5)
    from kiosk.output import OutputSettings

    wide = make_registration(still, head, OutputSettings(encoding=EncodeRules(file_kb_min=20, file_kb_max=30, dpi=254)))
    assert 20 * KB <= len(wide.jpeg) <= 30 * KB
    app0 = next(p for m, p in markers(wide.jpeg) if m == 0xE0)
    assert struct.unpack(">BHH", app0[7:12]) == (1, 254, 254)


def test_encode_rules_from_the_chsi_profile() -> None:
    from kiosk.vision.profiles import load_profile

    assert EncodeRules.from_profile(load_profile("chsi")) == EncodeRules()
