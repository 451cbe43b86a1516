"""A camera that plays back images or a video, for tests, demos and laptops without a webcam.

The replay camera behaves like a real one where the booth can tell: preview frames come at the
configured rate and at exactly the preview size (letterboxed), the still is the current picture at
its own full resolution, and every frame is a fresh copy the caller may draw on. ``show()`` swaps
the playlist at run time, which is how a demo walks through "student holds up a phone with a capture
code" and then "student poses for the portrait" without any hardware.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np

from kiosk.core.clock import Clock, SystemClock
from kiosk.hw.camera import CameraError
from kiosk.hw.frames import as_bgr, black_frame, letterbox

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp"})

ReplayItem = np.ndarray | Path


def read_image(path: Path) -> np.ndarray | None:
    """Decode ``path`` as BGR (EXIF orientation applied), or None when it is not a readable image."""
    from kiosk.core.images import ImageRefused, read_image_file

    try:
        image = read_image_file(path)  # the pixel limit is checked from the header first
    except ImageRefused as exc:
        log.warning("replay: %s: %s", path, exc)
        return None
    except (OSError, cv2.error):
        return None
    if image.size == 0:
        return None
    return image


class _Stills:
    """A playlist of still pictures: decoded arrays, or image files decoded when they come up."""

    def __init__(self, items: list[ReplayItem], hold: bool) -> None:
        self.items = items
        self.hold = hold
        self.index = 0
        self._cached: tuple[int, np.ndarray] | None = None

    def current(self) -> np.ndarray:
        if self._cached is not None and self._cached[0] == self.index:
            return self._cached[1]
        for _ in range(len(self.items)):
            item = self.items[self.index]
            image = item if isinstance(item, np.ndarray) else read_image(item)
            if image is not None:
                self._cached = (self.index, image)
                return image
            log.warning("replay: skipping unreadable image %s", item)
            self.index = (self.index + 1) % len(self.items)
        raise CameraError("replay: none of the images can be read any more")

    def advance(self) -> bool:
        """Move to the next picture; False when holding on the last one (nothing changed)."""
        if self.index + 1 < len(self.items):
            self.index += 1
            return True
        if self.hold or len(self.items) == 1:
            return False
        self.index = 0
        return True

    def close(self) -> None:
        self._cached = None


class _Video:
    """A video file, one decoded frame per preview frame."""

    def __init__(self, path: Path, hold: bool) -> None:
        self.path = path
        self.hold = hold
        self._cap: cv2.VideoCapture | None = None
        self._frame: np.ndarray | None = None

    def open(self) -> None:
        if self._cap is not None:
            return
        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            cap.release()
            raise CameraError(f"replay: {self.path} is neither an image folder nor a readable video")
        self._cap = cap
        self._frame = None
        if not self._read():
            self.close()
            raise CameraError(f"replay: {self.path} has no readable video frames")

    def current(self) -> np.ndarray:
        if self._frame is None:
            self.open()
        assert self._frame is not None
        return self._frame

    def advance(self) -> bool:
        if self._cap is None:
            self.open()
            return True
        if self._read():
            return True
        if self.hold:
            return False
        self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        if not self._read():
            raise CameraError(f"replay: {self.path} cannot be rewound")
        return True

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
        self._cap = None
        self._frame = None

    def _read(self) -> bool:
        assert self._cap is not None
        try:
            ok, frame = self._cap.read()
        except cv2.error:
            return False
        if not ok or frame is None or frame.size == 0:
            return False
        self._frame = as_bgr(frame)
        return True


class ReplayCamera:
    """A ``Camera`` that plays a folder of images (sorted by name; jpg, png, webp), a video file, or
    pictures handed over with ``show()``.

    ``item_s`` is how long each picture stays up (0: a new picture every preview frame, like a video);
    a folder or video given as ``source`` loops, ``show(..., hold=True)`` stops on the last picture.
    Pacing runs on ``clock`` and ``sleep``, which tests replace so nothing really waits.
    Without any pictures the preview is black and ``capture_still`` raises ``CameraError``.
    """

    def __init__(
        self,
        source: Path | str | None = None,
        preview_size: tuple[int, int] = (1280, 720),
        fps: int = 15,
        *,
        item_s: float = 0.0,
        clock: Clock | None = None,
        sleep: Callable[[float], None] = time.sleep,
        detail_size: tuple[int, int] | None = None,
    ) -> None:
        if fps <= 0:
            raise ValueError("fps must be positive")
        self.source = Path(source).expanduser() if source is not None else None
        self.preview_size = (int(preview_size[0]), int(preview_size[1]))
        self.fps = fps
        self.item_s = float(item_s)
        self.detail_size = (int(detail_size[0]), int(detail_size[1])) if detail_size and min(detail_size) > 0 else None
        self._clock: Clock = clock or SystemClock()
        self._sleep = sleep
        self._lock = threading.Lock()
        self._playlist: _Stills | _Video | None = None
        self._started = False
        self._fresh = True  # the next preview frame shows the current item without advancing
        self._item_since = 0.0
        self._next_due: float | None = None
        self._preview_cache: tuple[int, np.ndarray] | None = None
        self._version = 0  # bumps whenever the picture changes, to key the preview cache

    # -- Camera protocol -------------------------------------------------------------------------

    def start(self) -> None:
        """Load ``source`` (unless ``show()`` already set a playlist). Raises CameraError when it has
        nothing readable."""
        with self._lock:
            if self._playlist is None and self.source is not None:
                self._set_playlist(_load_source(self.source))
            if isinstance(self._playlist, _Video):
                self._playlist.open()
            self._started = True
            self._fresh = True
            self._next_due = None

    def preview_frame(self) -> np.ndarray:
        """The current picture letterboxed to the preview size, paced to ``fps``."""
        with self._lock:
            self._require()
            wait = 0.0 if self._next_due is None else self._next_due - self._clock.now()
        if wait > 0:
            self._sleep(wait)
        with self._lock:
            self._require()
            now = self._clock.now()
            period = 1.0 / self.fps
            if self._next_due is None or now - self._next_due > period:
                self._next_due = now + period  # first frame, or fell behind: do not try to catch up
            else:
                self._next_due += period
            if self._playlist is None:
                return black_frame(self.preview_size)
            self._step(now)
            return self._preview().copy()

    def detail_frame(self) -> np.ndarray | None:
        """The picture on the preview letterboxed to ``detail_size``, as a camera's larger stream shows
        the same view; None without a detail size or when the picture is no larger than the preview."""
        with self._lock:
            self._require()
            if self.detail_size is None or self._playlist is None:
                return None
            picture = self._playlist.current()
            if picture.shape[1] <= self.preview_size[0] and picture.shape[0] <= self.preview_size[1]:
                return None
            return letterbox(picture, self.detail_size)

    def capture_still(self) -> np.ndarray:
        """The picture currently on the preview, at its own full resolution (a copy)."""
        with self._lock:
            self._require()
            if self._playlist is None:
                raise CameraError("replay: nothing to capture (no pictures to show)")
            return self._playlist.current().copy()

    def capture_burst(self, count: int, gap_s: float) -> list[np.ndarray]:
        """The picture on the preview, then ``count - 1`` more, ``gap_s`` apart on the replay clock. The
        playlist moves on between them as the preview would: by ``item_s`` when pictures are held
        (a playlist of a blink and then open eyes is a burst holding both), by ``gap_s`` of frames at
        ``fps`` when every frame is a new picture (a video)."""
        if count < 1:
            raise ValueError("a burst needs at least one still")
        frames: list[np.ndarray] = []
        for i in range(count):
            if i:
                self._sleep(gap_s)
            with self._lock:
                self._require()
                if self._playlist is None:
                    raise CameraError("replay: nothing to capture (no pictures to show)")
                now = self._clock.now()
                if not i:
                    if self._fresh:  # nothing shown yet: the picture is up from now on
                        self._fresh, self._item_since = False, now
                elif self.item_s > 0:
                    self._step(now)
                else:
                    moved = [self._playlist.advance() for _ in range(max(1, round(gap_s * self.fps)))]
                    if any(moved):
                        self._item_since, self._version = now, self._version + 1
                frames.append(self._playlist.current().copy())
        return frames

    def close(self) -> None:
        """Release an open video; the playlist is kept so ``start()`` resumes it. Safe to call twice."""
        with self._lock:
            self._started = False
            if self._playlist is not None:
                self._playlist.close()
            self._preview_cache = None

    def __enter__(self) -> ReplayCamera:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- playlist control --------------------------------------------------------------------------

    def show(self, items: Sequence[np.ndarray | Path], hold: bool = True) -> None:
        """Replace the playlist with ``items`` (BGR arrays or image files), starting at the first.

        ``hold=True`` stops on the last picture, ``False`` loops. Arrays are copied, so the caller may
        reuse them. Unreadable files are skipped with a warning; CameraError if none is readable.
        An empty sequence clears the playlist (black preview).
        """
        if isinstance(items, np.ndarray):
            raise TypeError("show() takes a sequence of pictures; wrap a single picture in a list")
        if len(items) == 0:
            with self._lock:
                self._set_playlist(None)
            return
        loaded: list[ReplayItem] = []
        for item in items:
            if isinstance(item, np.ndarray):
                loaded.append(as_bgr(item).copy())
            elif read_image(Path(item)) is not None:
                loaded.append(Path(item))
            else:
                log.warning("replay: skipping unreadable image %s", item)
        if not loaded:
            raise CameraError("replay: none of the pictures given to show() can be read")
        with self._lock:
            self._set_playlist(_Stills(loaded, hold=hold))

    # -- internals ------------------------------------------------------------------------------

    def _require(self) -> None:
        if not self._started:
            raise CameraError("replay camera is not started")

    def _set_playlist(self, playlist: _Stills | _Video | None) -> None:
        if self._playlist is not None:
            self._playlist.close()
        self._playlist = playlist
        self._fresh = True
        self._version += 1
        self._preview_cache = None
        if self._started and isinstance(playlist, _Video):
            playlist.open()

    def _step(self, now: float) -> None:
        assert self._playlist is not None
        if self._fresh:
            self._fresh = False
            self._item_since = now
            return
        if now - self._item_since >= self.item_s and self._playlist.advance():
            self._item_since = now
            self._version += 1

    def _preview(self) -> np.ndarray:
        assert self._playlist is not None
        if self._preview_cache is None or self._preview_cache[0] != self._version:
            self._preview_cache = (self._version, letterbox(self._playlist.current(), self.preview_size))
        return self._preview_cache[1]


def _load_source(source: Path) -> _Stills | _Video:
    """A folder becomes a looping picture list, an image file a single picture, anything else a video."""
    if source.is_dir():
        candidates = sorted(p for p in source.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        readable: list[ReplayItem] = []
        for path in candidates:
            if read_image(path) is None:
                log.warning("replay: skipping unreadable image %s", path)
            else:
                readable.append(path)
        if not readable:
            raise CameraError(f"replay: no readable images (jpg, png, webp) in {source}")
        return _Stills(readable, hold=False)
    if not source.exists():
        raise CameraError(f"replay: {source} does not exist")
    if source.suffix.lower() in IMAGE_SUFFIXES:
        if read_image(source) is None:
            raise CameraError(f"replay: {source} is not a readable image")
        return _Stills([source], hold=True)
    video = _Video(source, hold=False)
    video.open()
    return video
