"""A background worker that runs a reader over the latest frame only, dropping frames while it is busy.

The QR scanner and the preview's pose hints both need this; it sits here, below both the codes and the
app packages, so neither has to import the other.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


@dataclass
class ScanStats:
    """What the worker did, for the staff page and tests."""

    scanned: int = 0
    dropped: int = 0
    failed: int = 0  # the reader raised; logged, then the worker carried on


class FrameWorker:
    """Runs ``reader.read(frame)`` on a background thread, one frame at a time, and calls ``on_result``
    for every item it returns.

    ``offer`` never waits: while a frame is being processed, further frames are dropped (``False``), so
    the preview keeps its pace whatever the reader costs. ``on_result`` runs on the worker's thread and
    is called for every item, so the same code on consecutive frames arrives again and again.
    """

    def __init__(
        self, reader: Any, on_result: Callable[[Any], None], *, copy_frames: bool = True, name: str = "frame-worker"
    ) -> None:
        self._reader = reader
        self._on_result = on_result
        self._name = name
        self._copy = copy_frames
        self._cond = threading.Condition()
        self._frame: np.ndarray | None = None
        self._busy = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self.stats = ScanStats()

    def start(self) -> None:
        """Start the scanning thread; a second call does nothing. A closed worker stays closed."""
        with self._cond:
            if self._closed:
                raise RuntimeError(f"{self._name} worker is closed; make a new one")
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def offer(self, frame: np.ndarray) -> bool:
        """Hand ``frame`` over for scanning; ``False`` (frame dropped) when busy, closed or not started."""
        with self._cond:
            if self._busy or self._closed or self._thread is None:
                self.stats.dropped += 1
                return False
            self._busy = True
        frame = frame.copy() if self._copy else frame  # outside the lock: the worker may be waking up
        with self._cond:
            self._frame = frame
            self._cond.notify()
        return True

    @property
    def busy(self) -> bool:
        return self._busy

    def close(self, timeout: float = 5.0) -> None:
        """Stop the thread once the current scan ends. Safe to call twice."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def __enter__(self) -> FrameWorker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._frame is None and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                frame, self._frame = self._frame, None
            try:
                texts = self._reader.read(frame)
            except Exception:
                log.exception("%s failed on a frame", self._name)
                texts = []
                self.stats.failed += 1
            self.stats.scanned += 1
            for text in texts:
                try:
                    self._on_result(text)
                except Exception:
                    log.exception("%s result handler failed", self._name)
            with self._cond:
                self._busy = False
