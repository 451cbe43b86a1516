"""Camera drivers up to the hardware boundary: replay, supervisor, factory, OpenCV and picamera2."""

from __future__ import annotations

import logging
import sys
import threading
import time
import types
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from kiosk.core.clock import FakeClock
from kiosk.core.config import CameraSection
from kiosk.hw.camera import CameraError
from kiosk.hw.factory import open_camera, open_supervised_camera
from kiosk.hw.frames import letterbox
from kiosk.hw.opencv_cam import OpenCVCamera
from kiosk.hw.picam import Picamera2Camera
from kiosk.hw.replay import ReplayCamera
from kiosk.hw.supervisor import SupervisedCamera

PREVIEW = (160, 90)
RED, GREEN, BLUE, GREY = (0, 0, 255), (0, 255, 0), (255, 0, 0), (128, 128, 128)


def solid(colour: tuple[int, int, int], size: tuple[int, int] = (400, 300)) -> np.ndarray:
    width, height = size
    image = np.zeros((height, width, 3), dtype=np.uint8)
    image[:] = colour
    return image


def centre(frame: np.ndarray) -> tuple[int, int, int]:
    h, w = frame.shape[:2]
    b, g, r = (int(v) for v in frame[h // 2, w // 2])
    return (b, g, r)


def close_to(colour: tuple[int, int, int], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 6 for a, b in zip(colour, expected, strict=True))


class Pacer:
    """Fake clock plus a sleep that advances it, recording each wait."""

    def __init__(self) -> None:
        self.clock = FakeClock()
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock.advance(seconds)


def replay(source: Path | None = None, **kw: Any) -> tuple[ReplayCamera, Pacer]:
    pacer = Pacer()
    cam = ReplayCamera(source, PREVIEW, 10, clock=pacer.clock, sleep=pacer.sleep, **kw)
    return cam, pacer


@pytest.fixture
def image_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "frames"
    folder.mkdir()
    assert cv2.imwrite(str(folder / "01.png"), solid(RED))
    assert cv2.imwrite(str(folder / "02.jpg"), solid(GREEN, (640, 480)))
    (folder / "03.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    assert cv2.imwrite(str(folder / "04.webp"), solid(BLUE, (300, 400)))
    (folder / "notes.txt").write_text("not an image")
    return folder


# -- ReplayCamera --------------------------------------------------------------------------------


def test_replay_plays_folder_in_order_and_skips_corrupt(image_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    cam, _ = replay(image_dir)
    with caplog.at_level(logging.WARNING, logger="kiosk.hw.replay"):
        cam.start()
    assert "03.jpg" in caplog.text
    colours = [centre(cam.preview_frame()) for _ in range(4)]
    assert [close_to(c, e) for c, e in zip(colours, [RED, GREEN, BLUE, RED], strict=True)] == [True] * 4
    cam.close()


def test_replay_preview_size_and_letterbox(image_dir: Path) -> None:
    cam, _ = replay(image_dir)
    with cam:
        frame = cam.preview_frame()  # 400x300 red into 160x90: bars left and right
        assert frame.shape == (90, 160, 3)
        assert frame.dtype == np.uint8
        assert tuple(frame[45, 2]) == (0, 0, 0)
        assert close_to(centre(frame), RED)
        portrait = None
        for _ in range(2):
            portrait = cam.preview_frame()
        assert portrait is not None and portrait.shape == (90, 160, 3)


def test_replay_still_is_current_item_at_full_resolution(image_dir: Path) -> None:
    cam, _ = replay(image_dir)
    with cam:
        cam.preview_frame()
        still = cam.capture_still()
        assert still.shape == (300, 400, 3)
        assert close_to(centre(still), RED)
        cam.preview_frame()
        still = cam.capture_still()
        assert still.shape == (480, 640, 3)
        assert close_to(centre(still), GREEN)


def test_replay_paces_to_fps(image_dir: Path) -> None:
    cam, pacer = replay(image_dir)
    with cam:
        for _ in range(4):
            cam.preview_frame()
    assert pacer.sleeps == pytest.approx([0.1, 0.1, 0.1])


def test_replay_does_not_sleep_when_caller_is_slow(image_dir: Path) -> None:
    cam, pacer = replay(image_dir)
    with cam:
        cam.preview_frame()
        pacer.clock.advance(1.0)
        cam.preview_frame()
    assert pacer.sleeps == []


def test_replay_item_seconds_holds_each_picture(image_dir: Path) -> None:
    cam, _ = replay(image_dir, item_s=0.25)
    with cam:
        colours = [centre(cam.preview_frame()) for _ in range(4)]  # t = 0, 0.1, 0.2, 0.3
    assert [close_to(c, RED) for c in colours] == [True, True, True, False]
    assert close_to(colours[3], GREEN)


def test_replay_frames_are_copies(image_dir: Path) -> None:
    cam, _ = replay(image_dir, item_s=10)
    with cam:
        frame = cam.preview_frame()
        frame[:] = 255
        assert close_to(centre(cam.preview_frame()), RED)
        still = cam.capture_still()
        still[:] = 255
        assert close_to(centre(cam.capture_still()), RED)


def test_replay_empty_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "broken.png").write_bytes(b"\x89PNG nope")
    cam, _ = replay(tmp_path)
    with pytest.raises(CameraError, match="no readable images"):
        cam.start()


def test_replay_missing_source_is_an_error(tmp_path: Path) -> None:
    cam, _ = replay(tmp_path / "absent")
    with pytest.raises(CameraError, match="does not exist"):
        cam.start()


def test_replay_needs_start(image_dir: Path) -> None:
    cam, _ = replay(image_dir)
    with pytest.raises(CameraError, match="not started"):
        cam.preview_frame()


def test_replay_without_pictures_is_black_until_show(tmp_path: Path) -> None:
    cam, _ = replay(None)
    with cam:
        frame = cam.preview_frame()
        assert frame.shape == (90, 160, 3) and not frame.any()
        with pytest.raises(CameraError, match="nothing to capture"):
            cam.capture_still()

        phone = solid(GREY, (200, 200))
        cam.show([phone])
        phone[:] = 0  # the camera kept its own copy
        assert close_to(centre(cam.preview_frame()), GREY)
        assert cam.capture_still().shape == (200, 200, 3)

        portrait_path = tmp_path / "portrait.jpg"
        assert cv2.imwrite(str(portrait_path), solid(BLUE, (600, 800)))
        cam.show([portrait_path])
        assert close_to(centre(cam.preview_frame()), BLUE)
        still = cam.capture_still()
        assert still.shape == (800, 600, 3)
        assert close_to(centre(still), BLUE)


def test_replay_show_hold_and_loop() -> None:
    cam, _ = replay(None)
    with cam:
        cam.show([solid(RED), solid(GREEN)], hold=True)
        held = [centre(cam.preview_frame()) for _ in range(4)]
        assert close_to(held[0], RED) and all(close_to(c, GREEN) for c in held[1:])
        cam.show([solid(RED), solid(GREEN)], hold=False)
        looped = [centre(cam.preview_frame()) for _ in range(3)]
        assert [close_to(c, RED) for c in looped] == [True, False, True]
        cam.show([])
        assert not cam.preview_frame().any()


def test_replay_show_skips_unreadable_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"garbage")
    good = tmp_path / "good.png"
    assert cv2.imwrite(str(good), solid(GREEN))
    cam, _ = replay(None)
    with cam:
        cam.show([bad, good])
        assert close_to(centre(cam.preview_frame()), GREEN)
        with pytest.raises(CameraError, match="none of the pictures"):
            cam.show([bad])


def test_replay_video_file_loops(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (320, 240))
    assert writer.isOpened()
    for colour in (RED, GREEN, BLUE):
        writer.write(solid(colour, (320, 240)))
    writer.release()
    cam, _ = replay(path)
    with cam:
        colours = [centre(cam.preview_frame()) for _ in range(4)]
        assert cam.capture_still().shape == (240, 320, 3)
    assert [close_to(c, e) for c, e in zip(colours, [RED, GREEN, BLUE, RED], strict=True)] == [True] * 4


def test_replay_survives_close_and_start(image_dir: Path) -> None:
    cam, _ = replay(None)
    cam.show([solid(RED)])
    cam.start()
    cam.close()
    cam.close()
    cam.start()
    assert close_to(centre(cam.preview_frame()), RED)


def test_letterbox_keeps_aspect() -> None:
    out = letterbox(solid(RED, (100, 100)), (200, 100))
    assert out.shape == (100, 200, 3)
    assert not out[:, :50].any() and not out[:, 150:].any()
    assert close_to(centre(out), RED)


# -- SupervisedCamera ------------------------------------------------------------------------------


class FlakyCamera:
    """A camera that fails its first ``fail_frames`` preview calls."""

    def __init__(self, log: list[str], fail_frames: int = 0, fail_start: bool = False) -> None:
        self.log = log
        self.fail_frames = fail_frames
        self.fail_start = fail_start
        self.closed = 0

    def start(self) -> None:
        self.log.append("start")
        if self.fail_start:
            raise CameraError("no camera")

    def preview_frame(self) -> np.ndarray:
        if self.fail_frames > 0:
            self.fail_frames -= 1
            raise CameraError("frame timeout")
        return solid(GREEN, PREVIEW)

    def capture_still(self) -> np.ndarray:
        return solid(GREEN, (400, 300))

    def close(self) -> None:
        self.closed += 1
        self.log.append("close")


class CameraFactory:
    def __init__(self, plans: list[dict[str, Any]], clock: FakeClock | None = None) -> None:
        self.plans = plans
        self.clock = clock
        self.made: list[FlakyCamera] = []
        self.made_at: list[float] = []
        self.log: list[str] = []

    def __call__(self) -> FlakyCamera:
        if self.clock is not None:
            self.made_at.append(self.clock.now())
        plan = self.plans[min(len(self.made), len(self.plans) - 1)]
        cam = FlakyCamera(self.log, **plan)
        self.made.append(cam)
        return cam


def test_supervisor_closes_and_reopens_after_a_fault() -> None:
    clock = FakeClock()
    factory = CameraFactory([{"fail_frames": 1}, {}])
    cam = SupervisedCamera(factory, clock=clock, retry_s=1.0)
    cam.start()
    with pytest.raises(CameraError, match="frame timeout"):
        cam.preview_frame()
    status = cam.status()
    assert not status.healthy and "frame timeout" in (status.last_error or "")
    assert factory.made[0].closed == 1

    with pytest.raises(CameraError, match="retrying"):
        cam.preview_frame()  # inside the back-off: no new camera yet
    assert len(factory.made) == 1

    clock.advance(1.0)
    frame = cam.preview_frame()
    assert frame.shape == (90, 160, 3)
    status = cam.status()
    assert status.healthy and status.reopen_count == 1 and len(factory.made) == 2
    assert cam.capture_still().shape == (300, 400, 3)
    cam.close()
    cam.close()
    assert factory.made[1].closed == 1
    with pytest.raises(CameraError, match="closed"):
        cam.preview_frame()


def test_supervisor_backs_off_while_the_camera_is_missing() -> None:
    clock = FakeClock()
    factory = CameraFactory([{"fail_start": True}] * 3 + [{}], clock)
    cam = SupervisedCamera(factory, clock=clock, retry_s=1.0, max_retry_s=3.0)
    t0 = clock.now()
    cam.start()  # does not raise
    assert not cam.healthy and "no camera" in (cam.last_error or "")
    for _ in range(20):
        clock.advance(0.5)
        try:
            cam.preview_frame()
            break
        except CameraError:
            pass
    # tries at start, then after 1 s, 2 s and 3 s (the doubling is capped at max_retry_s)
    assert [t - t0 for t in factory.made_at] == [0.0, 1.0, 3.0, 6.0]
    assert cam.healthy and cam.status().reopen_count == 0  # never opened before: not a reopen
    assert all(c.closed == 1 for c in factory.made[:3])


def test_supervisor_fails_n_times_then_recovers() -> None:
    clock = FakeClock()
    factory = CameraFactory([{"fail_frames": 1}] * 3 + [{}])
    cam = SupervisedCamera(factory, clock=clock, retry_s=0.5, max_retry_s=0.5)
    cam.start()
    failures = 0
    for _ in range(10):
        try:
            cam.preview_frame()
            break
        except CameraError:
            failures += 1
            clock.advance(0.5)
    assert failures == 3
    assert cam.status().reopen_count == 3


def test_supervisor_measures_fps_and_frame_age() -> None:
    clock = FakeClock()
    cam = SupervisedCamera(CameraFactory([{}]), clock=clock, fps_window_s=5.0)
    assert cam.status().last_frame_age_s is None
    cam.start()
    for _ in range(11):
        cam.preview_frame()
        clock.advance(0.1)
    status = cam.status()
    assert status.fps == pytest.approx(10.0)
    assert status.last_frame_age_s == pytest.approx(0.1)
    assert status.to_dict()["healthy"] is True
    clock.advance(10)
    assert cam.status().fps == 0.0


def test_supervisor_status_does_not_wait_for_a_stalled_camera() -> None:
    release = threading.Event()
    entered = threading.Event()

    class StallingCamera(FlakyCamera):
        def preview_frame(self) -> np.ndarray:
            entered.set()
            release.wait(5)
            return super().preview_frame()

    cam = SupervisedCamera(lambda: StallingCamera([]), clock=FakeClock())
    cam.start()
    pump = threading.Thread(target=cam.preview_frame)
    pump.start()
    assert entered.wait(5)
    started = time.monotonic()
    assert cam.status().healthy is False  # answered while the frame is still pending
    assert time.monotonic() - started < 0.5
    release.set()
    pump.join()
    assert cam.status().healthy
    cam.close()


# -- factory ---------------------------------------------------------------------------------------


def test_factory_picks_the_driver(tmp_path: Path) -> None:
    assert isinstance(open_camera(CameraSection(source="picamera2")), Picamera2Camera)
    webcam = open_camera(CameraSection(source="opencv:2"))
    assert isinstance(webcam, OpenCVCamera) and webcam.device == 2
    webcam = open_camera(CameraSection(source="opencv:/dev/video4"))
    assert isinstance(webcam, OpenCVCamera) and webcam.device == "/dev/video4"
    empty = open_camera(CameraSection(source="replay"), tmp_path)
    assert isinstance(empty, ReplayCamera) and empty.source is None
    relative = open_camera(CameraSection(source="replay", replay_dir="demo"), tmp_path)
    assert isinstance(relative, ReplayCamera) and relative.source == tmp_path / "demo"
    absolute = open_camera(CameraSection(source="replay", replay_dir=str(tmp_path / "x")), "/elsewhere")
    assert isinstance(absolute, ReplayCamera) and absolute.source == tmp_path / "x"
    with pytest.raises(ValueError):
        open_camera(CameraSection(source="webcam"))


def test_factory_supervised_replay_runs(image_dir: Path) -> None:
    cfg = CameraSection(source="replay", replay_dir=str(image_dir), preview_size=PREVIEW, preview_fps=60)
    cam = open_supervised_camera(cfg, image_dir.parent)
    with cam:
        assert cam.preview_frame().shape == (90, 160, 3)
        assert cam.status().healthy


# -- OpenCVCamera ----------------------------------------------------------------------------------


@pytest.mark.parametrize("device", ["/dev/no-such-video-device", 97])
def test_opencv_missing_device_fails_cleanly(device: int | str) -> None:
    cam = OpenCVCamera(device, (640, 480), (1920, 1080), 15, 1.0)
    with pytest.raises(CameraError, match="cannot open webcam"):
        cam.start()
    with pytest.raises(CameraError, match="not started"):
        cam.preview_frame()
    with pytest.raises(CameraError, match="not started"):
        cam.capture_still()
    cam.close()
    cam.close()


class FailingCapture:
    """A cv2.VideoCapture stand-in whose ``read`` and ``grab`` raise cv2.error from a given call on."""

    def __init__(self, read_fails_from: int = 0, grab_fails: bool = False) -> None:
        self.reads = 0
        self.read_fails_from = read_fails_from
        self.grab_fails = grab_fails

    def read(self) -> tuple[bool, np.ndarray]:
        self.reads += 1
        if self.read_fails_from and self.reads >= self.read_fails_from:
            raise cv2.error("VIDIOC_DQBUF: No such device")
        return True, solid(GREEN, (400, 300))

    def grab(self) -> bool:
        if self.grab_fails:
            raise cv2.error("VIDIOC_DQBUF: No such device")
        return True

    def set(self, prop: int, value: float) -> bool:
        return True

    def release(self) -> None:
        pass


def webcam_on(cap: FailingCapture) -> OpenCVCamera:
    cam = OpenCVCamera(0, (64, 36), (400, 300), 15, 1.0)
    cam._cap = cap  # type: ignore[assignment]  # the driver's own device, as start() would set it
    return cam


def test_opencv_burst_cut_short_by_a_grab_error_keeps_the_first_still() -> None:
    stills = webcam_on(FailingCapture(grab_fails=True)).capture_burst(3, 0.05)
    assert len(stills) == 1 and stills[0].shape == (300, 400, 3)


def test_opencv_burst_with_no_still_says_so_as_a_camera_error() -> None:
    # three frames dropped after the resize, then the first still's read fails
    with pytest.raises(CameraError, match="read failed"):
        webcam_on(FailingCapture(read_fails_from=4)).capture_burst(3, 0.0)
    with pytest.raises(CameraError, match="read failed"):
        webcam_on(FailingCapture(read_fails_from=1)).capture_still()


# -- Picamera2Camera against a stand-in picamera2 module --------------------------------------------


class FakePersistentAllocator:
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


class FakePicamera2:
    """Records how the driver uses picamera2; ``fail`` names a method that should raise."""

    instances: list[FakePicamera2] = []
    fail_init: Exception | None = None

    def __init__(self, camera_num: int = 0) -> None:
        if FakePicamera2.fail_init is not None:
            raise FakePicamera2.fail_init
        FakePicamera2.instances.append(self)
        self.calls: list[tuple[str, Any]] = []
        self.fail: dict[str, Exception] = {}
        self.fail_from: dict[str, tuple[int, Exception]] = {}  # method -> (its call that fails first, error)
        self.called: dict[str, int] = {}
        self.allocator: Any = None
        self.active = 0
        self.max_active = 0
        self.delay = 0.0
        self.mode: dict[str, Any] | None = None  # set by switch_mode (the preview until then)
        self.captured_at: list[float] = []
        self.calls.append(("init", camera_num))

    def _maybe_fail(self, name: str) -> None:
        n = self.called[name] = self.called.get(name, 0) + 1
        if name in self.fail:
            raise self.fail[name]
        if name in self.fail_from and n >= self.fail_from[name][0]:
            raise self.fail_from[name][1]

    def create_preview_configuration(self, main: dict[str, Any], **kw: Any) -> dict[str, Any]:
        self.calls.append(("create_preview_configuration", {"main": main, **kw}))
        return {"use_case": "preview", "main": dict(main), **kw}

    def create_still_configuration(self, main: dict[str, Any], **kw: Any) -> dict[str, Any]:
        self.calls.append(("create_still_configuration", {"main": main, **kw}))
        return {"use_case": "still", "main": dict(main), **kw}

    def configure(self, config: dict[str, Any]) -> None:
        self.calls.append(("configure", config, type(self.allocator).__name__))
        self._maybe_fail("configure")

    def start(self) -> None:
        self.calls.append(("start", None))
        self._maybe_fail("start")

    def _device_call(self, method: str, size: tuple[int, int], **kw: Any) -> np.ndarray:
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            if self.delay:
                time.sleep(self.delay)
            self.calls.append((method, kw))
            self._maybe_fail(method)
            return np.zeros((size[1], size[0], 3), dtype=np.uint8)
        finally:
            self.active -= 1

    def capture_array(self, name: str = "main", wait: Any = None) -> np.ndarray:
        size = self.mode["main"]["size"] if self.mode is not None else (64, 36)
        self.captured_at.append(time.monotonic())
        return self._device_call("capture_array", size, name=name, wait=wait)

    def switch_mode(self, config: dict[str, Any], wait: Any = None) -> dict[str, Any]:
        self.calls.append(("switch_mode", config["use_case"], wait))
        self._maybe_fail(f"switch_mode:{config['use_case']}")
        self.mode = config
        return config

    def switch_mode_and_capture_array(self, config: dict[str, Any], name: str = "main", wait: Any = None) -> Any:
        size = config["main"]["size"]
        return self._device_call("switch_mode_and_capture_array", size, config=config, name=name, wait=wait)

    def cancel_all_and_flush(self) -> None:
        self.calls.append(("cancel_all_and_flush", None))

    def stop(self) -> None:
        self.calls.append(("stop", None))

    def close(self) -> None:
        self.calls.append(("close", None))

    def names(self) -> list[str]:
        return [c[0] for c in self.calls]


@pytest.fixture
def fake_picamera2(monkeypatch: pytest.MonkeyPatch) -> type[FakePicamera2]:
    FakePicamera2.instances = []
    FakePicamera2.fail_init = None
    module = types.ModuleType("picamera2")
    module.Picamera2 = FakePicamera2  # type: ignore[attr-defined]
    allocators = types.ModuleType("picamera2.allocators")
    allocators.PersistentAllocator = FakePersistentAllocator  # type: ignore[attr-defined]
    module.allocators = allocators  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "picamera2", module)
    monkeypatch.setitem(sys.modules, "picamera2.allocators", allocators)
    return FakePicamera2


def picam() -> Picamera2Camera:
    return Picamera2Camera((64, 36), (400, 300), 20, 2.0)


def test_picamera2_configures_preview_and_still(fake_picamera2: type[FakePicamera2]) -> None:
    cam = picam()
    cam.start()
    (device,) = fake_picamera2.instances
    assert isinstance(device.allocator, FakePersistentAllocator)
    calls = dict((c[0], c[1]) for c in device.calls)
    assert calls["create_preview_configuration"]["main"] == {"size": (64, 36), "format": "RGB888"}
    assert calls["create_preview_configuration"]["controls"] == {"FrameDurationLimits": (50000, 50000)}
    assert calls["create_still_configuration"] == {
        "main": {"size": (400, 300), "format": "RGB888"},
        "buffer_count": 1,
        "queue": False,
    }  # queue=False: a capture waits for a fresh frame, so the stills of a burst are really apart
    configure = next(c for c in device.calls if c[0] == "configure")
    assert configure[1]["use_case"] == "preview"
    assert configure[2] == "FakePersistentAllocator"  # allocator in place before buffers are made
    assert device.names().index("configure") < device.names().index("start")

    frame = cam.preview_frame()
    assert frame.shape == (36, 64, 3)
    assert device.calls[-1] == ("capture_array", {"name": "main", "wait": 2.0})

    still = cam.capture_still()
    assert still.shape == (300, 400, 3)
    name, kw = device.calls[-1]
    assert name == "switch_mode_and_capture_array"
    assert kw["config"]["use_case"] == "still" and kw["name"] == "main" and kw["wait"] == 10.0

    allocator = device.allocator
    cam.close()
    cam.close()
    assert device.names().count("close") == 1
    assert device.names()[-2:] == ["stop", "close"]
    assert allocator.closed == 1
    with pytest.raises(CameraError, match="not started"):
        cam.preview_frame()


def test_picamera2_open_failure_is_camera_error(fake_picamera2: type[FakePicamera2]) -> None:
    fake_picamera2.fail_init = RuntimeError("Camera __init__ sequence did not complete.")
    with pytest.raises(CameraError, match="cannot open the camera module"):
        picam().start()


def test_picamera2_allocation_failure_closes_the_camera(
    fake_picamera2: type[FakePicamera2], monkeypatch: pytest.MonkeyPatch
) -> None:
    original = FakePicamera2.__init__

    def failing_init(self: FakePicamera2, camera_num: int = 0) -> None:
        original(self, camera_num)
        self.fail["configure"] = RuntimeError("failed to allocate capture buffers for stream 0")

    monkeypatch.setattr(FakePicamera2, "__init__", failing_init)
    cam = picam()
    with pytest.raises(CameraError, match="allocate"):
        cam.start()
    (device,) = fake_picamera2.instances
    assert "close" in device.names()
    assert device.allocator.closed == 1
    cam.close()  # nothing left to close


def test_picamera2_timeouts_become_camera_errors(fake_picamera2: type[FakePicamera2]) -> None:
    cam = picam()
    cam.start()
    (device,) = fake_picamera2.instances
    device.fail["capture_array"] = TimeoutError()
    with pytest.raises(CameraError, match="no preview frame within 2 s"):
        cam.preview_frame()
    assert device.names()[-1] == "cancel_all_and_flush"
    device.fail["capture_array"] = RuntimeError("Camera frontend has timed out!")
    with pytest.raises(CameraError, match="preview capture failed: RuntimeError: Camera frontend"):
        cam.preview_frame()
    device.fail["switch_mode_and_capture_array"] = RuntimeError("Failed to start camera")
    with pytest.raises(CameraError, match="still capture failed"):
        cam.capture_still()
    cam.close()


def test_picamera2_rejects_odd_frames(fake_picamera2: type[FakePicamera2], monkeypatch: pytest.MonkeyPatch) -> None:
    cam = picam()
    cam.start()
    (device,) = fake_picamera2.instances
    monkeypatch.setattr(device, "capture_array", lambda name="main", wait=None: np.zeros((36, 64, 4), np.uint8))
    with pytest.raises(CameraError, match="unexpected preview frame"):
        cam.preview_frame()
    cam.close()


def test_picamera2_missing_module_is_camera_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "picamera2", None)
    with pytest.raises(CameraError, match="python3-picamera2"):
        picam().start()


def test_picamera2_preview_and_still_never_overlap(fake_picamera2: type[FakePicamera2]) -> None:
    cam = picam()
    cam.start()
    (device,) = fake_picamera2.instances
    device.delay = 0.01
    errors: list[BaseException] = []

    def pump() -> None:
        try:
            for _ in range(5):
                cam.preview_frame()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=pump)
    thread.start()
    for _ in range(3):
        cam.capture_still()
    thread.join()
    cam.close()
    assert not errors
    assert device.max_active == 1


def test_picamera2_detail_stream_is_main_while_the_preview_comes_from_lores(
    fake_picamera2: type[FakePicamera2], monkeypatch: pytest.MonkeyPatch
) -> None:
    cam = Picamera2Camera((64, 36), (400, 300), 20, 2.0, detail_size=(128, 72))
    cam.start()
    (device,) = fake_picamera2.instances
    config = dict((c[0], c[1]) for c in device.calls)["create_preview_configuration"]
    assert config["main"] == {"size": (128, 72), "format": "RGB888"}
    assert config["lores"] == {"size": (64, 36), "format": "YUV420"}
    yuv = np.full((54, 64), 128, np.uint8)  # I420: 36 rows of Y, then U and V at neutral 128
    yuv[:36] = 200

    def capture_array(name: str = "main", wait: Any = None) -> np.ndarray:
        device.calls.append(("capture_array", {"name": name, "wait": wait}))
        return yuv if name == "lores" else np.zeros((72, 128, 3), np.uint8)

    monkeypatch.setattr(device, "capture_array", capture_array)
    frame = cam.preview_frame()
    assert frame.shape == (36, 64, 3) and device.calls[-1][1]["name"] == "lores"
    assert np.all(np.abs(frame.astype(int) - 200) <= 2)  # light gray, no colour cast
    detail = cam.detail_frame()
    assert detail is not None and detail.shape == (72, 128, 3) and device.calls[-1][1]["name"] == "main"
    yuv = np.zeros((36, 64), np.uint8)  # a lores frame of the wrong shape is a clear camera error
    with pytest.raises(CameraError, match="unexpected lores frame"):
        cam.preview_frame()
    cam.close()


def test_picamera2_without_a_larger_detail_size_has_one_stream(fake_picamera2: type[FakePicamera2]) -> None:
    for detail in (None, (0, 0), (64, 36)):
        cam = Picamera2Camera((64, 36), (400, 300), 20, 2.0, detail_size=detail)
        cam.start()
        config = dict((c[0], c[1]) for c in fake_picamera2.instances[-1].calls)["create_preview_configuration"]
        assert "lores" not in config and config["main"]["size"] == (64, 36)
        assert cam.detail_frame() is None
        cam.close()


def test_replay_detail_frame_through_the_supervisor(tmp_path: Path) -> None:
    big = np.full((1440, 2560, 3), 90, np.uint8)
    cv2.imwrite(str(tmp_path / "phone.png"), big)
    replay = ReplayCamera(
        tmp_path / "phone.png", (1280, 720), 15, clock=FakeClock(), sleep=lambda s: None, detail_size=(1920, 1080)
    )
    cam = SupervisedCamera(lambda: replay, clock=FakeClock())
    assert cam.detail_frame() is None  # not started yet: no detail, no error
    cam.start()
    assert cam.preview_frame().shape == (720, 1280, 3)
    detail = cam.detail_frame()
    assert detail is not None and detail.shape == (1080, 1920, 3) and int(detail[540, 960, 0]) == 90
    small = ReplayCamera(
        tmp_path / "phone.png", (2560, 1440), 15, clock=FakeClock(), sleep=lambda s: None, detail_size=(1920, 1080)
    )
    small.start()
    assert small.detail_frame() is None  # a picture no larger than the preview has nothing more to give
    cam.close()
    assert cam.detail_frame() is None


def test_lores_colours_survive_the_yuv_conversion() -> None:
    from kiosk.hw.picam import yuv420_to_bgr

    bgr = np.zeros((36, 64, 3), np.uint8)
    bgr[:, :32] = (40, 60, 200)  # a red left half
    bgr[:, 32:] = (230, 230, 230)  # a light right half
    ycrcb = cv2.cvtColor(bgr, cv2.COLOR_BGR2YCrCb)
    u = cv2.resize(ycrcb[:, :, 2], (32, 18), interpolation=cv2.INTER_AREA)
    v = cv2.resize(ycrcb[:, :, 1], (32, 18), interpolation=cv2.INTER_AREA)
    i420 = np.concatenate([ycrcb[:, :, 0].ravel(), u.ravel(), v.ravel()]).reshape(54, 64)
    back = yuv420_to_bgr(i420, (64, 36))
    assert np.abs(back[10, 8].astype(int) - (40, 60, 200)).max() <= 6
    assert np.abs(back[10, 56].astype(int) - (230, 230, 230)).max() <= 6


def test_picamera2_burst_is_one_still_mode_switch_and_back(fake_picamera2: type[FakePicamera2]) -> None:
    cam = picam()
    cam.start()
    (device,) = fake_picamera2.instances
    device.calls.clear()
    stills = cam.capture_burst(3, 0.05)
    assert [s.shape for s in stills] == [(300, 400, 3)] * 3
    assert device.names() == ["switch_mode", "capture_array", "capture_array", "capture_array", "switch_mode"]
    # The switch and the captures share one still timeout, the switch back has its own: a stuck sensor
    # holds the booth no longer than a single still would.
    switches = [c[1:] for c in device.calls if c[0] == "switch_mode"]
    assert [name for name, _ in switches] == ["still", "preview"] and switches[1][1] == 10.0
    waits = [switches[0][1]] + [c[1]["wait"] for c in device.calls if c[0] == "capture_array"]
    assert all(9.0 < w <= 10.0 for w in waits) and waits == sorted(waits, reverse=True), waits
    gaps = np.diff(device.captured_at[-3:])
    assert (gaps >= 0.045).all(), gaps  # the stills are asked for gap_s apart
    assert cam.preview_frame().shape == (36, 64, 3)  # back on the preview stream
    cam.close()


def test_picamera2_burst_that_fails_goes_back_to_the_preview(fake_picamera2: type[FakePicamera2]) -> None:
    cam = picam()
    cam.start()
    (device,) = fake_picamera2.instances
    device.calls.clear()
    device.fail["capture_array"] = TimeoutError()
    with pytest.raises(CameraError, match="no still within 10 s"):
        cam.capture_burst(3, 0.0)
    assert [c[1] for c in device.calls if c[0] == "switch_mode"] == ["still", "preview"]
    assert "cancel_all_and_flush" in device.names()
    cam.close()


def test_picamera2_burst_cut_short_keeps_the_stills_it_took(fake_picamera2: type[FakePicamera2]) -> None:
    cam = picam()
    cam.start()
    (device,) = fake_picamera2.instances
    device.calls.clear()
    device.fail_from["capture_array"] = (3, TimeoutError())
    stills = cam.capture_burst(3, 0.0)
    assert len(stills) == 2  # a single still would have done: the student does not pose again
    assert [c[1] for c in device.calls if c[0] == "switch_mode"] == ["still", "preview"]
    device.fail_from.clear()  # the module recovers
    assert cam.preview_frame().shape == (36, 64, 3)
    cam.close()


def test_picamera2_burst_stops_at_the_still_timeout(fake_picamera2: type[FakePicamera2]) -> None:
    cam = Picamera2Camera((64, 36), (400, 300), 20, 2.0, still_timeout_s=1.0)
    cam.start()
    (device,) = fake_picamera2.instances
    device.calls.clear()
    device.delay = 0.6  # a module that takes 0.6 s per still: the third would end past the timeout
    stills = cam.capture_burst(3, 0.05)
    assert 1 <= len(stills) <= 2
    assert device.names().count("capture_array") == len(stills)
    assert [c[1] for c in device.calls if c[0] == "switch_mode"] == ["still", "preview"]
    cam.close()


def test_picamera2_burst_kept_when_the_switch_back_fails(fake_picamera2: type[FakePicamera2]) -> None:
    cam = picam()
    cam.start()
    (device,) = fake_picamera2.instances
    device.fail["switch_mode:preview"] = RuntimeError("Failed to allocate buffers")
    stills = cam.capture_burst(2, 0.0)
    assert len(stills) == 2  # the student's stills are not lost
    assert device.names()[-2:] == ["stop", "close"]  # the camera is closed for the supervisor to reopen
    with pytest.raises(CameraError, match="not started"):
        cam.preview_frame()


def test_replay_burst_follows_the_playlist_between_stills() -> None:
    clock = FakeClock()
    cam = ReplayCamera(preview_size=(64, 48), item_s=0.2, clock=clock, sleep=clock.advance)
    red, blue = np.full((30, 40, 3), (0, 0, 255), np.uint8), np.full((30, 40, 3), (255, 0, 0), np.uint8)
    cam.show([red, blue])
    cam.start()
    start = clock.now()
    stills = cam.capture_burst(3, 0.25)
    assert [tuple(int(v) for v in s[0, 0]) for s in stills] == [(0, 0, 255), (255, 0, 0), (255, 0, 0)]
    assert clock.now() - start == pytest.approx(0.5)  # two gaps waited on the replay clock


def test_replay_burst_starts_with_the_picture_on_the_preview() -> None:
    clock = FakeClock()
    cam = ReplayCamera(preview_size=(64, 48), item_s=0.0, fps=20, clock=clock, sleep=clock.advance)
    pictures = [np.full((30, 40, 3), v, np.uint8) for v in range(0, 250, 10)]
    cam.show(pictures, hold=True)
    cam.start()
    on_view = int(cam.preview_frame()[24, 32, 0])
    stills = cam.capture_burst(3, 0.25)
    # a new picture every frame (a video): the burst starts at the one on view and moves 5 frames per gap
    assert [int(s[0, 0, 0]) for s in stills] == [on_view, on_view + 50, on_view + 100]
