"""The QR reader on drawn phone-screen frames, and the scan worker's promise never to hold up the preview."""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np
import pytest
import zxingcpp

from kiosk.codes.phone_screen import render_phone, render_qr
from kiosk.codes.qr import QrReader, QrScanWorker, QrTuning, Scan, find_code_regions

TEXT = "XC1:k2024:" + "Q2FwdHVyZS1jb2RlLXRlc3QtcGF5bG9hZA_-" * 6


@pytest.fixture(scope="module")
def reader() -> QrReader:
    return QrReader()


@pytest.fixture(scope="module")
def phone() -> np.ndarray:
    return render_phone(TEXT)


def rotate(frame: np.ndarray, degrees: float) -> np.ndarray:
    h, w = frame.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(frame, m, (w, h), borderMode=cv2.BORDER_REPLICATE)


def tilt(frame: np.ndarray, amount: float) -> np.ndarray:
    h, w = frame.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[w * amount, h * amount], [w, 0], [w * (1 - amount), h * (1 - amount)], [0, h]])
    return cv2.warpPerspective(frame, cv2.getPerspectiveTransform(src, dst), (w, h), borderMode=cv2.BORDER_REPLICATE)


def test_render_phone_is_a_camera_sized_bgr_frame(phone: np.ndarray) -> None:
    assert phone.shape == (720, 1280, 3) and phone.dtype == np.uint8
    assert render_phone(TEXT, (640, 480)).shape == (480, 640, 3)
    assert np.array_equal(render_phone(TEXT), phone)  # deterministic: the demo's replay stays stable
    qr = render_qr(TEXT, 300)
    assert qr.shape == (300, 300) and qr.min() < 30 and qr.max() > 225


def test_clean_frame(reader: QrReader, phone: np.ndarray) -> None:
    assert reader.read(phone) == [TEXT]


def test_gray_and_bgra_frames(reader: QrReader, phone: np.ndarray) -> None:
    assert reader.read(cv2.cvtColor(phone, cv2.COLOR_BGR2GRAY)) == [TEXT]
    assert reader.read(cv2.cvtColor(phone, cv2.COLOR_BGR2BGRA)) == [TEXT]


@pytest.mark.parametrize("degrees", [25, 90, 180, -140])
def test_rotated(reader: QrReader, phone: np.ndarray, degrees: float) -> None:
    assert reader.read(rotate(phone, degrees)) == [TEXT]


def test_tilted(reader: QrReader, phone: np.ndarray) -> None:
    assert reader.read(tilt(phone, 0.08)) == [TEXT]


@pytest.mark.parametrize("sigma", [1.2, 2.2])
def test_blurred(reader: QrReader, phone: np.ndarray, sigma: float) -> None:
    assert reader.read(cv2.GaussianBlur(phone, (0, 0), sigma)) == [TEXT]


def test_the_region_retry_reads_what_one_pass_misses(reader: QrReader, phone: np.ndarray) -> None:
    blurred = cv2.GaussianBlur(phone, (0, 0), 2.2)
    gray = cv2.cvtColor(blurred, cv2.COLOR_BGR2GRAY)
    if zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.QRCode):
        pytest.skip("this zxing-cpp reads the blurred frame in one pass")
    assert reader.read(blurred) == [TEXT]


@pytest.mark.parametrize("scale", [0.5, 0.35])
def test_small(reader: QrReader, scale: float) -> None:
    assert reader.read(render_phone(TEXT, scale=scale)) == [TEXT]


def test_dim_and_noisy_jpeg(reader: QrReader, phone: np.ndarray) -> None:
    rng = np.random.default_rng(1)
    dim = phone.astype(np.float32) * 0.35 + 15 + rng.normal(0, 4, phone.shape)
    ok, buf = cv2.imencode(".jpg", np.clip(dim, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 40])
    assert ok and reader.read(cv2.imdecode(buf, cv2.IMREAD_COLOR)) == [TEXT]


def test_frames_without_a_code(reader: QrReader) -> None:
    rng = np.random.default_rng(7)
    assert reader.scan(render_phone("")) == Scan([])  # nothing read, and no advice to give
    assert reader.scan(np.zeros((720, 1280, 3), np.uint8)) == Scan([])
    assert reader.read(rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8)) == []


def smeared(frame: np.ndarray, length: int) -> np.ndarray:
    """Motion blur along the rows, as a phone moved sideways during the exposure."""
    return cv2.filter2D(frame, -1, np.full((1, length), 1.0 / length, np.float32))


def banded(frame: np.ndarray, period: float, depth: float = 0.6) -> np.ndarray:
    """Rolling-shutter banding: the screen's PWM dimming turns into dark and light bands of rows."""
    rows = np.arange(frame.shape[0], dtype=np.float32)[:, None, None]
    return (frame * (1 - depth * (0.5 + 0.5 * np.sin(rows * 2 * np.pi / period)))).astype(np.uint8)


@pytest.mark.parametrize("period", [10, 20])
def test_banding_is_flattened_out(reader: QrReader, phone: np.ndarray, period: float) -> None:
    frame = banded(phone, period)
    if zxingcpp.read_barcodes(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), formats=zxingcpp.BarcodeFormat.QRCode):
        pytest.skip("this zxing-cpp reads the banded frame in one pass")
    assert reader.read(frame) == [TEXT]


def test_a_code_too_small_is_read_from_the_detail_stream(reader: QrReader) -> None:
    small = render_phone(TEXT, scale=0.27)
    detail = render_phone(TEXT, (2560, 1440), scale=0.27)  # the same view at twice the resolution
    asked: list[bool] = []

    def detail_frame() -> np.ndarray:
        asked.append(True)
        return detail

    scan = reader.scan(small)
    assert scan.texts == [] and scan.sighting is not None and scan.sighting.advice == "closer"
    assert reader.read(small, detail_frame) == [TEXT] and asked == [True]
    # A frame read in the preview, and a frame with nothing code-like, never cost a detail frame.
    assert reader.read(render_phone(TEXT), detail_frame) == [TEXT]
    assert reader.read(render_phone(""), detail_frame) == [] and asked == [True]
    assert reader.read(small, lambda: None) == []  # a camera without a detail stream


def test_unreadable_codes_come_with_advice(reader: QrReader, phone: np.ndarray) -> None:
    rng = np.random.default_rng(1)
    dark = np.clip(phone * 0.03 + 8 + rng.normal(0, 3, phone.shape), 0, 255).astype(np.uint8)
    advice = {
        "brighter": dark,  # a screen turned almost all the way down
        "steadier": smeared(phone, 8),  # smeared sideways by a moving hand
        "closer": render_phone(TEXT, scale=0.27),  # under 2 pixels per module
    }
    for expected, frame in advice.items():
        scan = reader.scan(frame)
        assert scan.texts == [] and scan.sighting is not None, expected
        assert scan.sighting.advice == expected


def test_region_finder_points_at_the_code(phone: np.ndarray) -> None:
    boxes = find_code_regions(cv2.cvtColor(phone, cv2.COLOR_BGR2GRAY), QrTuning())
    assert boxes
    x, y, w, h = boxes[0]
    assert x <= 640 <= x + w and y <= 360 <= y + h and w < 400 and h < 400


def test_region_finder_passes_over_print() -> None:
    page = np.full((720, 1280), 235, np.uint8)
    for i in range(12):  # a notice on the wall: lines of print, dense with edges but not a code
        cv2.putText(page, "Graduation photo 2026 notice", (100, 100 + 40 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 30, 2)
    assert find_code_regions(page, QrTuning()) == []


def test_bad_frames_are_refused(reader: QrReader) -> None:
    with pytest.raises(ValueError):
        reader.read(np.zeros((10, 10), np.float32))
    with pytest.raises(ValueError):
        reader.read(np.zeros((10, 10, 2), np.uint8))


class GatedReader:
    """A reader that holds each scan until the test lets it go, then returns ``texts``."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.started = threading.Event()
        self.release = threading.Event()
        self.frames: list[np.ndarray] = []

    def read(self, frame: np.ndarray) -> list[str]:
        self.frames.append(frame)
        self.started.set()
        assert self.release.wait(5)
        return self.texts


def test_worker_drops_frames_while_busy_and_reports_texts() -> None:
    reader = GatedReader(["XC1:a", "XC1:b"])
    seen: list[str] = []
    done = threading.Event()

    def on_text(text: str) -> None:
        seen.append(text)
        if len(seen) == 2:
            done.set()

    frame = np.zeros((4, 4, 3), np.uint8)
    with QrScanWorker(reader, on_text) as worker:
        assert worker.offer(frame)
        assert reader.started.wait(5)
        t0 = time.perf_counter()
        assert [worker.offer(frame) for _ in range(50)] == [False] * 50
        assert time.perf_counter() - t0 < 0.1  # offering never waits for the scan
        assert worker.busy
        reader.release.set()
        assert done.wait(5)
        assert seen == ["XC1:a", "XC1:b"]
        deadline = time.monotonic() + 5
        while worker.busy and time.monotonic() < deadline:
            time.sleep(0.005)
        assert worker.offer(frame)
    assert worker.stats.dropped == 50 and worker.stats.scanned >= 1
    assert reader.frames[0] is not frame  # the worker scans its own copy


def test_worker_survives_a_failing_reader_and_handler() -> None:
    class Flaky:
        calls = 0

        def read(self, frame: np.ndarray) -> list[str]:
            self.calls += 1
            if self.calls == 1:
                raise RuntimeError("decoder bug")
            return ["XC1:x"]

    got = threading.Event()

    def on_text(text: str) -> None:
        got.set()
        raise RuntimeError("handler bug")

    worker = QrScanWorker(Flaky(), on_text)
    worker.start()
    frame = np.zeros((4, 4), np.uint8)
    deadline = time.monotonic() + 5
    while not got.is_set() and time.monotonic() < deadline:
        worker.offer(frame)
        time.sleep(0.01)
    assert got.is_set() and worker.stats.failed == 1
    worker.close()
    worker.close()  # twice is fine


def test_worker_refuses_frames_before_start_and_after_close() -> None:
    worker = QrScanWorker(GatedReader([]), lambda text: None)
    assert worker.offer(np.zeros((4, 4), np.uint8)) is False
    worker.start()
    worker.close()
    assert worker.offer(np.zeros((4, 4), np.uint8)) is False
    with pytest.raises(RuntimeError, match="closed"):
        worker.start()


def test_worker_passes_advice_on_for_a_code_it_cannot_read() -> None:
    advice: list[str] = []
    texts: list[str] = []
    done = threading.Event()
    worker = QrScanWorker(QrReader(), texts.append, on_sighting=lambda a: (advice.append(a), done.set()))
    with worker:
        assert worker.offer(render_phone(TEXT, scale=0.27))
        assert done.wait(10)
    assert advice == ["closer"] and texts == []


def test_worker_with_the_real_reader(phone: np.ndarray) -> None:
    got: list[str] = []
    done = threading.Event()
    with QrScanWorker(QrReader(), lambda t: (got.append(t), done.set())) as worker:
        assert worker.offer(phone)
        assert done.wait(5)
    assert got == [TEXT]


def test_worker_scans_every_other_frame_while_nothing_is_there_and_every_frame_once_something_is() -> None:
    class Counting:
        def __init__(self) -> None:
            self.calls = 0
            self.texts: list[str] = []

        def read(self, frame: np.ndarray) -> list[str]:
            self.calls += 1
            return self.texts

    now = [100.0]
    reader = Counting()
    worker = QrScanWorker(reader, lambda text: None, quiet_every=2, quiet_after_s=2.0, clock=lambda: now[0])

    rng = np.random.default_rng(3)

    def offer_and_wait(n: int) -> None:
        for _ in range(n):  # a changing view: somebody walks past
            worker.offer(rng.integers(0, 256, (72, 128, 3), dtype=np.uint8))
            deadline = time.monotonic() + 5
            while worker.busy and time.monotonic() < deadline:
                time.sleep(0.001)

    with worker:
        offer_and_wait(10)
        assert reader.calls == 5  # an empty hallway: half the frames
        reader.texts = ["XC1:seen"]
        offer_and_wait(2)
        reader.texts = []
        calls = reader.calls
        offer_and_wait(6)
        assert reader.calls - calls == 6  # something was just seen: every frame
        now[0] += 3.0
        calls = reader.calls
        offer_and_wait(6)
        assert reader.calls - calls == 3  # quiet again


def test_worker_hardly_scans_a_view_that_stands_still() -> None:
    calls: list[int] = []

    class Counting:
        def read(self, frame: np.ndarray) -> list[str]:
            calls.append(1)
            return []

    worker = QrScanWorker(Counting(), lambda text: None, quiet_every=2, still_every=15)
    rng = np.random.default_rng(4)
    hallway = rng.integers(0, 256, (72, 128, 3), dtype=np.uint8)
    with worker:
        for _ in range(45):  # three seconds of an empty hallway, with a little sensor noise
            noisy = np.clip(hallway + rng.normal(0, 2, hallway.shape), 0, 255).astype(np.uint8)
            worker.offer(noisy)
            deadline = time.monotonic() + 5
            while worker.busy and time.monotonic() < deadline:
                time.sleep(0.001)
        assert 2 <= len(calls) <= 4  # about once a second, in case the view changed too slowly to tell
        phone = hallway.copy()
        phone[20:50, 40:80] = 255  # something comes into view: the next frames are scanned
        before = len(calls)
        for _ in range(2):
            worker.offer(phone)
            deadline = time.monotonic() + 5
            while worker.busy and time.monotonic() < deadline:
                time.sleep(0.001)
        assert len(calls) == before + 1
