"""The live preview: one thread pulls frames from the camera and everyone else reads the latest one.

The MJPEG stream, the QR scanner and the pose hints all read from ``FrameHub``; none of them ever
waits on the camera, and each JPEG is encoded once however many viewers there are.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import cv2
import numpy as np

log = logging.getLogger(__name__)


class FrameHub:
    """The latest preview frame, its sequence number, and a JPEG of it encoded on first demand."""

    def __init__(self, stream_width: int = 960, quality: int = 70) -> None:
        self._cond = threading.Condition()
        self._frame: np.ndarray | None = None
        self._seq = 0
        self._jpeg: tuple[int, bytes] | None = None
        self._stream_width = stream_width
        self._quality = quality

    def publish(self, frame: np.ndarray) -> None:
        with self._cond:
            self._frame = frame
            self._seq += 1
            self._cond.notify_all()

    @property
    def seq(self) -> int:
        return self._seq

    def latest(self) -> tuple[int, np.ndarray | None]:
        with self._cond:
            return self._seq, self._frame

    def wait_newer(self, seq: int, timeout: float) -> int:
        """Block until a frame newer than ``seq`` arrives (or timeout); return the current seq."""
        with self._cond:
            self._cond.wait_for(lambda: self._seq > seq, timeout)
            return self._seq

    def jpeg(self) -> tuple[int, bytes | None]:
        with self._cond:
            seq, frame, cached = self._seq, self._frame, self._jpeg
        if frame is None:
            return seq, None
        if cached is not None and cached[0] == seq:
            return cached
        h, w = frame.shape[:2]
        if w > self._stream_width:
            frame = cv2.resize(
                frame, (self._stream_width, round(h * self._stream_width / w)), interpolation=cv2.INTER_AREA
            )
        ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, self._quality])
        if not ok:
            return seq, None
        data = buf.tobytes()
        with self._cond:
            if self._seq == seq:
                self._jpeg = (seq, data)
        return seq, data


class PreviewPump:
    """Pulls preview frames in a thread and hands each to the hub and to the frame consumers.

    Consumers (the QR scanner) must not block: they take the frame or drop it.
    """

    def __init__(self, read_frame: Callable[[], np.ndarray], hub: FrameHub, fps: float) -> None:
        self._read = read_frame
        self._hub = hub
        self._period = 1.0 / fps
        self._consumers: list[Callable[[np.ndarray], object]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None

    def add_consumer(self, fn: Callable[[np.ndarray], object]) -> None:
        self._consumers.append(fn)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="preview-pump", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                frame = self._read()
            except Exception as exc:  # the supervised camera reopens itself; keep asking
                if str(exc) != self.last_error:
                    log.warning("preview frame failed: %s", exc)
                self.last_error = str(exc)
                self._stop.wait(0.5)
                continue
            self.last_error = None
            self._hub.publish(frame)
            for consumer in self._consumers:
                try:
                    consumer(frame)
                except Exception:
                    log.exception("preview consumer failed")
            spare = self._period - (time.monotonic() - started)
            if spare > 0:
                self._stop.wait(spare)
