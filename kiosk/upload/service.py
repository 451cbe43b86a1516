"""The uploader assembled from config: the outbox, the target and the state file, wired together.

Used by ``kiosk uploader`` and by the demo booth, which runs its own uploader thread.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from kiosk.core.config import Config

log = logging.getLogger(__name__)


def build_uploader(config: Config, notify: Callable[[str], object] | None = None) -> Any:
    """The outbox and target of ``config``, wired into an Uploader (also used by the bench)."""
    from kiosk.queue.outbox import Outbox
    from kiosk.upload.loop import Uploader
    from kiosk.upload.state import StateFile
    from kiosk.upload.targets import make_target

    default_dir = config.data_dir / "upload"
    target = make_target(config.upload_target, config.upload, default_dir=default_dir)
    outbox = Outbox.from_config(config, need_key=False)
    return Uploader(outbox, target, poll_s=config.upload.poll_s, state_file=StateFile(outbox.dir), notify=notify)


def open_uploader_patiently(config: Config, stop: threading.Event, notify: Callable[[str], object]) -> Any:
    """``build_uploader``, retried while the queue database cannot be opened (a full disk at boot).

    Exiting instead would only have systemd start the uploader again and again until its start limit
    left it stopped for good; waiting here lets it resume by itself once space returns. None if stopped.
    """
    import time

    from kiosk.upload.state import STORAGE_ERROR, StateFile, UploaderState

    wait = config.upload.backoff_min_s
    while True:
        try:
            return build_uploader(config, notify)
        except (sqlite3.Error, OSError) as exc:
            detail = f"cannot open the queue database ({exc}); retrying in {wait:.0f} s"
            log.error("uploader: %s", detail)
            notify(f"uploader {STORAGE_ERROR}: {detail}")
            now = time.time()
            StateFile(config.data_dir / "outbox").write(UploaderState(STORAGE_ERROR, detail, now, now, 0, os.getpid()))
        if stop.wait(wait):
            return None
        wait = min(config.upload.backoff_max_s, wait * 2)
