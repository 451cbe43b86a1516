"""The camera interface the booth talks to, whatever is behind it.

A camera gives a stream of small preview frames (for scanning codes and posing) and, on request, one
full-resolution still or a short burst of them. Frames are BGR ``uint8`` arrays, never mirrored. Implementations:
``Picamera2Camera`` (the Pi's camera module), ``OpenCVCamera`` (USB webcams) and ``ReplayCamera``
(image files or a video, for tests and demos).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class CameraError(RuntimeError):
    """The camera failed or stopped delivering frames; the supervisor reopens it."""


class Camera(Protocol):
    def start(self) -> None:
        """Open the device and start the preview stream."""

    def preview_frame(self) -> np.ndarray:
        """The next preview frame (BGR). Raises CameraError when none arrives in time."""

    def capture_still(self) -> np.ndarray:
        """One full-resolution still (BGR). Raises CameraError on failure."""

    def capture_burst(self, count: int, gap_s: float) -> list[np.ndarray]:
        """``count`` full-resolution stills (BGR), about ``gap_s`` apart, oldest first, in one switch to
        the still mode. A blink lasts 0.1-0.4 s: it can spoil one still of a burst, rarely all of them.
        Raises CameraError on failure (no partial burst is returned)."""

    def close(self) -> None:
        """Release the device. Safe to call twice."""


class DetailCamera(Camera, Protocol):
    """A camera that can also give the current view at a higher resolution than the preview.

    Optional: the QR scanner asks for a detail frame only when it sees a code it cannot read in the
    preview. ``None`` means there is no detail stream (or no picture larger than the preview).
    """

    def detail_frame(self) -> np.ndarray | None:
        """The next frame of the detail stream (BGR), or None. Raises CameraError on failure."""
