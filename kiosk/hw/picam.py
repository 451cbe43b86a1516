"""The Raspberry Pi camera module, through picamera2.

The camera runs a low-resolution preview stream all the time (code scanning, posing, the live view)
and switches to the full-resolution still mode for the photo (one frame, or a short burst of them so
that a blink does not spoil the shot), then back.
Both configurations are built once at start-up and picamera2's ``PersistentAllocator`` keeps the
buffers of each mode allocated, so the many mode switches of a long booth day do not fragment the
CMA memory the camera needs (fragmentation shows up hours later as allocation failures).

picamera2 is imported inside ``start()``: on a Pi it comes from the OS package ``python3-picamera2``
(it must match the system libcamera), and everywhere else the booth must import without it.

Detail stream: with a ``detail_size`` larger than the preview, the preview configuration asks for two
streams, as picamera2's examples do: ``main`` at ``detail_size`` (RGB888) and ``lores`` at the
preview size (YUV420, the only format the Pi 4's lores output has). Preview frames come from lores
(converted to BGR with OpenCV); ``detail_frame()`` gives the next main frame, which the QR scanner asks
for only when it sees a code it cannot read in the preview. Choose a ``detail_size`` the sensor has a
fast binned mode for (1920x1080 fits both the HQ Camera's 2028x1080 and Camera Module 3's 2304x1296
modes), or the preview frame rate drops to the full-sensor mode's.

Colour order: picamera2's "RGB888" format is stored B, G, R in memory, so the arrays it returns are
already the BGR order OpenCV and the rest of the booth expect; no conversion is done here.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import cv2
import numpy as np

from kiosk.hw.camera import CameraError

log = logging.getLogger(__name__)

_STREAM = "main"


class Picamera2Camera:
    """A ``Camera`` backed by picamera2.

    ``stall_timeout_s`` bounds every wait for a preview frame; a still (which includes two mode
    switches) may take ``still_timeout_s``, by default the larger of 10 s and three stall timeouts.
    A lock serialises device calls, so a preview pump thread and a still capture never talk to
    picamera2 at the same time. Every picamera2 failure (missing camera, allocation error, timeout)
    is raised as ``CameraError`` so the supervisor can close and reopen the camera.
    """

    def __init__(
        self,
        preview_size: tuple[int, int],
        still_size: tuple[int, int],
        fps: int,
        stall_timeout_s: float,
        *,
        camera_num: int = 0,
        still_timeout_s: float | None = None,
        detail_size: tuple[int, int] | None = None,
    ) -> None:
        if fps <= 0:
            raise ValueError("fps must be positive")
        self.preview_size = (int(preview_size[0]), int(preview_size[1]))
        self.still_size = (int(still_size[0]), int(still_size[1]))
        self.fps = fps
        self.stall_timeout_s = float(stall_timeout_s)
        self.still_timeout_s = (
            float(still_timeout_s) if still_timeout_s is not None else max(10.0, 3 * self.stall_timeout_s)
        )
        self.camera_num = camera_num
        self.detail_size = _detail_size(detail_size, self.preview_size)
        self._lock = threading.Lock()
        self._cam: Any = None
        self._allocator: Any = None
        self._preview_config: Any = None
        self._still_config: Any = None

    def start(self) -> None:
        """Open the camera, build both configurations and start the preview stream."""
        with self._lock:
            if self._cam is not None:
                return
            try:
                from picamera2 import Picamera2
                from picamera2.allocators import PersistentAllocator
            except ImportError as exc:
                raise CameraError(f"picamera2 is not available ({exc}); on the Pi install python3-picamera2") from exc
            except Exception as exc:  # e.g. "numpy.dtype size changed": numpy 2 in the venv, see docs
                raise CameraError(f"picamera2 failed to import ({exc}); see docs/troubleshooting.md") from exc
            try:
                cam = Picamera2(self.camera_num)
            except Exception as exc:
                raise CameraError(f"cannot open the camera module: {_describe(exc)}") from exc
            allocator: Any = None
            try:
                allocator = PersistentAllocator()
                cam.allocator = allocator
                frame_us = int(1_000_000 / self.fps)
                self._preview_config = cam.create_preview_configuration(
                    **self._preview_streams(), controls={"FrameDurationLimits": (frame_us, frame_us)}
                )
                self._still_config = cam.create_still_configuration(
                    main={"size": self.still_size, "format": "RGB888"}, buffer_count=1, queue=False
                )
                cam.configure(self._preview_config)
                cam.start()
            except Exception as exc:
                _close_quietly(cam, allocator)
                raise CameraError(f"cannot start the camera module: {_describe(exc)}") from exc
            self._cam = cam
            self._allocator = allocator
            log.info(
                "camera module started: preview %s at %d fps, still %s", self.preview_size, self.fps, self.still_size
            )

    def _preview_streams(self) -> dict[str, dict[str, object]]:
        """The streams of the preview configuration: main alone, or main for detail plus lores."""
        if self.detail_size is None:
            return {"main": {"size": self.preview_size, "format": "RGB888"}}
        return {
            "main": {"size": self.detail_size, "format": "RGB888"},
            "lores": {"size": self.preview_size, "format": "YUV420"},
        }

    def preview_frame(self) -> np.ndarray:
        """The next preview frame (BGR), waiting at most ``stall_timeout_s``."""
        stream = _STREAM if self.detail_size is None else "lores"
        frame = self._capture(stream, "preview")
        if stream == "lores":
            return yuv420_to_bgr(frame, self.preview_size)
        return _check_frame(frame, "preview")

    def detail_frame(self) -> np.ndarray | None:
        """The next frame of the high-resolution main stream (BGR), or None without a detail stream."""
        if self.detail_size is None:
            return None
        return _check_frame(self._capture(_STREAM, "detail"), "detail")

    def _capture(self, stream: str, what: str) -> object:
        with self._lock:
            cam = self._require()
            try:
                return cam.capture_array(stream, wait=self.stall_timeout_s)
            except Exception as exc:
                _cancel_jobs(cam)
                if isinstance(exc, TimeoutError):
                    raise CameraError(f"no {what} frame within {self.stall_timeout_s:g} s") from exc
                raise CameraError(f"{what} capture failed: {_describe(exc)}") from exc

    def capture_still(self) -> np.ndarray:
        """Switch to the still mode, capture one full-resolution frame (BGR) and switch back."""
        with self._lock:
            cam = self._require()
            try:
                frame = cam.switch_mode_and_capture_array(self._still_config, _STREAM, wait=self.still_timeout_s)
                return _check_frame(frame, "still")
            except CameraError:
                _cancel_jobs(cam)
                raise
            except Exception as exc:
                _cancel_jobs(cam)
                raise _still_error(exc, self.still_timeout_s) from exc

    def capture_burst(self, count: int, gap_s: float) -> list[np.ndarray]:
        """Switch to the still mode once, capture ``count`` full-resolution frames about ``gap_s`` apart
        (BGR), and switch back, as picamera2's manual does for several captures in one mode
        (``switch_mode``, ``capture_array`` each, ``switch_mode`` back). The still configuration has
        ``queue=False``: each capture waits for a frame that starts after it is asked for, where
        picamera2's default hands over the frame it already holds and the stills would be one frame
        apart instead of ``gap_s``. The switch and the captures share one ``still_timeout_s`` (the
        switch back has its own), so a stalling module holds the booth no longer than a single still
        would, well inside the watchdog. A burst cut short by a fault or by that deadline keeps the stills
        already taken (the booth judges the first; a single still would have been enough) and logs it;
        only a burst with no still raises."""
        if count < 1:
            raise ValueError("a burst needs at least one still")
        if count == 1:
            return [self.capture_still()]
        with self._lock:
            cam = self._require()
            frames: list[np.ndarray] = []
            deadline = time.monotonic() + self.still_timeout_s

            def left() -> float:
                return max(0.5, deadline - time.monotonic())

            try:
                cam.switch_mode(self._still_config, wait=left())
                for i in range(count):
                    if i:
                        if time.monotonic() + gap_s >= deadline:
                            log.warning("burst cut to %d of %d stills: the still timeout ran out", i, count)
                            break
                        time.sleep(gap_s)
                    frames.append(_check_frame(cam.capture_array(_STREAM, wait=left()), "still"))
            except Exception as exc:
                _cancel_jobs(cam)
                self._back_to_preview(cam)
                error = exc if isinstance(exc, CameraError) else _still_error(exc, self.still_timeout_s)
                if not frames:
                    raise error from exc
                log.warning("burst cut to %d of %d stills: %s", len(frames), count, error)
                return frames
            self._back_to_preview(cam)
            return frames

    def _back_to_preview(self, cam: Any) -> None:
        """Switch back to the preview mode after a burst. When that fails the camera is closed (the
        supervisor reopens it on the next preview frame) instead of losing the stills just taken or
        hiding the error that ended the burst. Called with the lock held."""
        try:
            cam.switch_mode(self._preview_config, wait=self.still_timeout_s)
        except Exception as exc:
            log.error("camera module did not return to the preview mode (%s); closing it", _describe(exc))
            allocator, self._cam, self._allocator = self._allocator, None, None
            _close_quietly(cam, allocator)

    def close(self) -> None:
        """Stop and release the camera. Safe to call twice; never raises."""
        with self._lock:
            cam, self._cam = self._cam, None
            allocator, self._allocator = self._allocator, None
            if cam is not None:
                _close_quietly(cam, allocator)

    def __enter__(self) -> Picamera2Camera:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _require(self) -> Any:
        if self._cam is None:
            raise CameraError("camera module is not started")
        return self._cam


def _detail_size(size: tuple[int, int] | None, preview: tuple[int, int]) -> tuple[int, int] | None:
    """The detail stream's size, or None when there is to be none (unset, zero, or not larger)."""
    if not size or size[0] <= 0 or size[1] <= 0:
        return None
    size = (int(size[0]), int(size[1]))
    if size[0] <= preview[0] or size[1] < preview[1]:
        log.warning("camera.detail_size %s is not larger than the preview %s: no detail stream", size, preview)
        return None
    return size


def yuv420_to_bgr(frame: object, size: tuple[int, int]) -> np.ndarray:
    """A lores YUV420 (I420: Y, then U, then V, each chroma plane a quarter) frame, as picamera2
    returns it (height * 3/2 rows), in BGR."""
    width, height = size
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.shape != (height * 3 // 2, width):
        shape = getattr(frame, "shape", None)
        raise CameraError(
            f"unexpected lores frame from the camera module (shape {shape}, expected {(height * 3 // 2, width)}); "
            "a preview width that is a multiple of 64 avoids padded rows"
        )
    # picamera2's preview configuration uses the full-range sYCC colour space (JPEG's), which is what
    # OpenCV's YCrCb conversion expects; its I420 conversion would assume video range and clip.
    y = frame[:height]
    quarter = (height // 2) * (width // 2)
    chroma = frame[height:].reshape(-1)
    u = chroma[:quarter].reshape(height // 2, width // 2)
    v = chroma[quarter : 2 * quarter].reshape(height // 2, width // 2)
    u, v = (cv2.resize(c, (width, height), interpolation=cv2.INTER_LINEAR) for c in (u, v))
    return cv2.cvtColor(cv2.merge([y, v, u]), cv2.COLOR_YCrCb2BGR)


def _still_error(exc: BaseException, timeout_s: float) -> CameraError:
    """The CameraError a failed still or burst is reported as."""
    if isinstance(exc, TimeoutError):
        return CameraError(f"no still within {timeout_s:g} s")
    return CameraError(f"still capture failed: {_describe(exc)}")


def _check_frame(frame: Any, what: str) -> np.ndarray:
    if not isinstance(frame, np.ndarray) or frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        shape = getattr(frame, "shape", None)
        raise CameraError(f"unexpected {what} frame from the camera module (shape {shape})")
    return frame


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _cancel_jobs(cam: Any) -> None:
    """Drop queued picamera2 jobs after a timeout so the camera can be closed cleanly."""
    try:
        cam.cancel_all_and_flush()
    except Exception:  # the camera is already broken; closing it is what matters
        log.debug("cancel_all_and_flush failed", exc_info=True)


def _close_quietly(cam: Any, allocator: Any) -> None:
    """Stop and close the camera, then free the persistent buffers.

    The persistent allocator holds its buffers until told otherwise; freeing them explicitly (once the
    camera no longer uses them) means a reopen after a fault finds the CMA memory free again.
    """
    for what, step in ((cam, "stop"), (cam, "close"), (allocator, "close")):
        if what is None:
            continue
        try:
            getattr(what, step)()
        except Exception:
            log.warning("camera module %s failed", step, exc_info=True)
