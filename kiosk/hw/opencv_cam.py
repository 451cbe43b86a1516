"""A USB webcam through OpenCV (V4L2 on Linux), for laptops and booths without a camera module.

Webcams have no separate still mode: for the photo the capture size is raised to the still size
(the driver picks the largest mode it has near that), a frame (or a short burst) is read, and the
preview size is set back. The first frames after a size change can be stale or dark, so a few are dropped.
"""

from __future__ import annotations

import logging
import sys
import threading
import time

import cv2
import numpy as np

from kiosk.hw.camera import CameraError
from kiosk.hw.frames import letterbox

log = logging.getLogger(__name__)

_FRAMES_DROPPED_AFTER_RESIZE = 3


class OpenCVCamera:
    """A ``Camera`` backed by ``cv2.VideoCapture``.

    ``device`` is a V4L2 index (``0``) or a device path (``"/dev/video0"``). Preview frames are
    letterboxed to ``preview_size`` when the webcam delivers another size. Reads are serialised by a
    lock, and a read that fails or takes longer than ``stall_timeout_s`` raises ``CameraError``.
    """

    def __init__(
        self,
        device: int | str,
        preview_size: tuple[int, int],
        still_size: tuple[int, int],
        fps: int,
        stall_timeout_s: float,
    ) -> None:
        self.device = device
        self.preview_size = (int(preview_size[0]), int(preview_size[1]))
        self.still_size = (int(still_size[0]), int(still_size[1]))
        self.fps = fps
        self.stall_timeout_s = float(stall_timeout_s)
        # A size change restarts the webcam's stream, which takes longer than a preview frame.
        self.still_timeout_s = max(10.0, 3 * self.stall_timeout_s)
        self._lock = threading.Lock()
        self._cap: cv2.VideoCapture | None = None

    def start(self) -> None:
        """Open the webcam and ask for the preview size and frame rate."""
        with self._lock:
            if self._cap is not None:
                return
            api = cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY
            try:
                cap = cv2.VideoCapture(self.device, api)
            except cv2.error as exc:
                raise CameraError(f"cannot open webcam {self.device!r}: {exc}") from exc
            if not cap.isOpened():
                cap.release()
                raise CameraError(f"cannot open webcam {self.device!r} (no such device, or it is busy)")
            timeout_ms = int(self.stall_timeout_s * 1000)
            # Honoured by the backends that support it; the V4L2 select timeout bounds the rest.
            cap.set(cv2.CAP_PROP_READ_TIMEOUT_MSEC, timeout_ms)
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
            cap.set(cv2.CAP_PROP_FPS, self.fps)
            self._set_size(cap, self.preview_size)
            self._cap = cap
            log.info("webcam %r opened", self.device)

    def preview_frame(self) -> np.ndarray:
        """The next frame, letterboxed to the preview size."""
        with self._lock:
            frame = self._read(self._require(), "preview", self.stall_timeout_s)
        if (frame.shape[1], frame.shape[0]) != self.preview_size:
            frame = letterbox(frame, self.preview_size)
        return frame

    def capture_still(self) -> np.ndarray:
        """A frame at the largest size the webcam offers up to the still size, at that size."""
        return self.capture_burst(1, 0.0)[0]

    def capture_burst(self, count: int, gap_s: float) -> list[np.ndarray]:
        """``count`` frames at the still size, about ``gap_s`` apart, after one size change. The driver
        keeps a few frames buffered, so the gap is spent grabbing (and dropping) frames: a frame read
        after a plain sleep would be one taken just after the previous still."""
        if count < 1:
            raise ValueError("a burst needs at least one still")
        with self._lock:
            cap = self._require()
            frames: list[np.ndarray] = []
            try:
                self._set_size(cap, self.still_size)
                for _ in range(_FRAMES_DROPPED_AFTER_RESIZE):
                    self._read(cap, "still", self.still_timeout_s)
                frames.append(self._read(cap, "still", self.still_timeout_s))
                for _ in range(count - 1):
                    due = time.monotonic() + gap_s
                    while time.monotonic() < due and cap.grab():
                        pass
                    frames.append(self._read(cap, "still", self.still_timeout_s))
            except (CameraError, cv2.error) as exc:
                error = exc if isinstance(exc, CameraError) else CameraError(f"still capture failed: {exc}")
                if not frames:
                    raise error from exc
                # A burst cut short keeps what it took: the booth judges the first still.
                log.warning("burst cut to %d of %d stills: %s", len(frames), count, error)
            finally:
                self._set_size(cap, self.preview_size)
            return frames

    def close(self) -> None:
        """Release the webcam. Safe to call twice."""
        with self._lock:
            cap, self._cap = self._cap, None
            if cap is not None:
                try:
                    cap.release()
                except cv2.error:
                    log.warning("webcam release failed", exc_info=True)

    def __enter__(self) -> OpenCVCamera:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _require(self) -> cv2.VideoCapture:
        if self._cap is None:
            raise CameraError(f"webcam {self.device!r} is not started")
        return self._cap

    def _read(self, cap: cv2.VideoCapture, what: str, timeout_s: float) -> np.ndarray:
        started = time.monotonic()
        try:
            ok, frame = cap.read()
        except cv2.error as exc:
            raise CameraError(f"webcam {self.device!r} {what} read failed: {exc}") from exc
        took = time.monotonic() - started
        if not ok or frame is None or frame.size == 0:
            raise CameraError(f"webcam {self.device!r} delivered no {what} frame")
        if took > timeout_s:
            raise CameraError(f"webcam {self.device!r} took {took:.1f} s for a {what} frame")
        if frame.ndim != 3 or frame.shape[2] != 3:
            raise CameraError(f"webcam {self.device!r} delivered an unexpected frame (shape {frame.shape})")
        return frame

    @staticmethod
    def _set_size(cap: cv2.VideoCapture, size: tuple[int, int]) -> None:
        try:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, size[0])
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, size[1])
        except cv2.error as exc:
            raise CameraError(f"webcam refused size {size[0]}x{size[1]}: {exc}") from exc
