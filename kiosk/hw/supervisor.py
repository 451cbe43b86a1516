"""Keeps a camera working through faults: close it on error, reopen it later, report its health.

Cameras on a booth fail in dull ways: a ribbon cable works loose, a USB webcam resets, the camera
stack times out once after hours of running. None of these should need a technician to restart the
booth. ``SupervisedCamera`` wraps any ``Camera``: when a call raises ``CameraError`` it closes the
camera and remembers why, and the next call after a back-off delay opens a fresh one from the
factory. The status it reports (healthy, frame age, measured fps, last error, reopen count) feeds the
health page and the self-test.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from kiosk.core.clock import Clock, SystemClock
from kiosk.hw.camera import Camera, CameraError

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class CameraStatus:
    """A snapshot of the camera's health, as shown to staff."""

    healthy: bool
    last_frame_age_s: float | None  # None until the first frame
    fps: float  # preview frames per second over the measuring window
    last_error: str | None
    reopen_count: int  # successful reopens after a fault (the first open is not counted)

    def to_dict(self) -> dict[str, object]:
        return {
            "healthy": self.healthy,
            "last_frame_age_s": self.last_frame_age_s,
            "fps": self.fps,
            "last_error": self.last_error,
            "reopen_count": self.reopen_count,
        }


class SupervisedCamera:
    """A ``Camera`` that reopens the camera ``factory`` makes whenever it fails.

    After a failure, calls within the back-off delay raise ``CameraError`` at once without touching
    the device; the delay starts at ``retry_s``, doubles with each further fault up to
    ``max_retry_s``, and resets once a frame arrives. ``healthy`` means "delivering": it turns true
    with the first good frame or still, not merely when the device opens. ``start()`` never raises: a camera missing at
    boot is handled like one that fails later, so the booth can come up and say what is wrong.
    Calls are serialised, so the wrapped camera sees one caller at a time.
    """

    def __init__(
        self,
        factory: Callable[[], Camera],
        clock: Clock | None = None,
        retry_s: float = 1.0,
        max_retry_s: float = 30.0,
        fps_window_s: float = 5.0,
    ) -> None:
        if retry_s <= 0 or max_retry_s < retry_s:
            raise ValueError("need 0 < retry_s <= max_retry_s")
        self._factory = factory
        self._clock: Clock = clock or SystemClock()
        self._retry_s = retry_s
        self._max_retry_s = max_retry_s
        self._fps_window_s = fps_window_s
        # _lock serialises the device and its open/close; _stats guards the health figures on its
        # own, so status() answers at once even while a stalled camera holds _lock.
        self._lock = threading.RLock()
        self._stats = threading.Lock()
        self._camera: Camera | None = None
        self._closed = True
        self._ever_opened = False
        self._backoff_s = retry_s
        self._retry_at = 0.0
        self._healthy = False
        self._last_error: str | None = None
        self._reopen_count = 0
        self._frame_times: deque[float] = deque()
        self._last_frame_at: float | None = None

    # -- Camera protocol -------------------------------------------------------------------------

    def start(self) -> None:
        """Open the camera now if possible; on failure record it and retry on the next call."""
        with self._lock:
            self._closed = False
            if self._camera is None:
                self._retry_at = 0.0
                # A failure is recorded by _open; the next call retries after the back-off.
                with contextlib.suppress(CameraError):
                    self._open()

    def preview_frame(self) -> np.ndarray:
        with self._lock:
            frame = self._call("preview", lambda cam: cam.preview_frame())
            now = self._clock.now()
            with self._stats:
                self._last_frame_at = now
                self._frame_times.append(now)
                while self._frame_times and now - self._frame_times[0] > self._fps_window_s:
                    self._frame_times.popleft()
            return frame

    def capture_still(self) -> np.ndarray:
        with self._lock:
            return self._call("still", lambda cam: cam.capture_still())

    def capture_burst(self, count: int, gap_s: float) -> list[np.ndarray]:
        with self._lock:
            return self._call("still", lambda cam: cam.capture_burst(count, gap_s))

    def detail_frame(self) -> np.ndarray | None:
        """The camera's detail frame, or None when it has none or is not open now.

        Only the QR scanner asks, and a missing detail frame just means one try fewer, so a failure
        here is logged and answered with None; the preview's own calls decide the camera's health.
        """
        with self._lock:
            camera = self._camera
            detail = getattr(camera, "detail_frame", None)
            if self._closed or detail is None:
                return None
            try:
                return detail()
            except CameraError as exc:
                log.info("detail frame failed: %s", exc)
                return None

    def close(self) -> None:
        """Close the camera; calls fail until ``start()`` again. Safe to call twice."""
        with self._lock:
            self._closed = True
            with self._stats:
                self._healthy = False
            self._drop_camera()

    def __enter__(self) -> SupervisedCamera:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- health ------------------------------------------------------------------------------------

    @property
    def healthy(self) -> bool:
        with self._stats:
            return self._healthy

    @property
    def last_error(self) -> str | None:
        with self._stats:
            return self._last_error

    def status(self) -> CameraStatus:
        """Current health; never waits for the camera."""
        now = self._clock.now()
        with self._stats:
            age = None if self._last_frame_at is None else max(0.0, now - self._last_frame_at)
            times = [t for t in self._frame_times if now - t <= self._fps_window_s]
            healthy, last_error, reopen_count = self._healthy, self._last_error, self._reopen_count
        fps = 0.0
        if len(times) >= 2 and times[-1] > times[0]:
            fps = (len(times) - 1) / (times[-1] - times[0])
        return CameraStatus(
            healthy=healthy,
            last_frame_age_s=age,
            fps=round(fps, 2),
            last_error=last_error,
            reopen_count=reopen_count,
        )

    # -- internals (called with _lock held) ------------------------------------------------------------

    def _call(self, what: str, fn: Callable[[Camera], T]) -> T:
        if self._closed:
            raise CameraError("camera is closed")
        camera = self._camera if self._camera is not None else self._reopen()
        try:
            result = fn(camera)
        except CameraError as exc:
            self._fail(f"{what}: {exc}")
            raise
        self._backoff_s = self._retry_s
        with self._stats:
            self._healthy = True
        return result

    def _reopen(self) -> Camera:
        wait = self._retry_at - self._clock.now()
        if wait > 0:
            raise CameraError(f"camera unavailable, retrying in {wait:.1f} s (last error: {self.last_error})")
        return self._open()

    def _open(self) -> Camera:
        camera: Camera | None = None
        try:
            camera = self._factory()
            camera.start()
        except CameraError as exc:
            if camera is not None:
                _close_quietly(camera)
            self._fail(f"open: {exc}")
            raise
        if self._ever_opened:
            with self._stats:
                self._reopen_count += 1
                count = self._reopen_count
            log.info("camera reopened (reopen #%d)", count)
        self._ever_opened = True
        self._camera = camera
        return camera

    def _fail(self, message: str) -> None:
        """Record a fault, close the camera and schedule the next attempt.

        Each fault without a good frame in between doubles the delay, so a camera that is gone for
        good is probed rarely instead of tying up the camera stack in a tight loop.
        """
        log.warning("camera fault: %s", message)
        with self._stats:
            self._healthy = False
            self._last_error = message
        self._drop_camera()
        self._retry_at = self._clock.now() + self._backoff_s
        self._backoff_s = min(self._backoff_s * 2, self._max_retry_s)

    def _drop_camera(self) -> None:
        camera, self._camera = self._camera, None
        if camera is not None:
            _close_quietly(camera)


def _close_quietly(camera: Camera) -> None:
    try:
        camera.close()
    except Exception:  # a broken camera must not stop the booth from reopening it
        log.warning("camera close failed", exc_info=True)
