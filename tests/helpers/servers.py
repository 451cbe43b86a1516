"""Serving a started booth (``kiosk.app.wiring.start_booth``) in a test, and stopping it completely.

A browser keeps the page's event stream open; if the test only closed the listening socket, the stream's
server thread would run on into later tests and print its traceback into their captured output when it
finally failed against the stopped booth. Here the streams end first, then the serving loop closes every
connection and joins its threads on its own thread, then the booth stops.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from kiosk.centre.receiver import serve_until


@contextlib.contextmanager
def serving(running: Any) -> Iterator[Any]:
    """Serve ``running`` (a ``BoothServer``) on a thread until the block ends; then stop it all."""
    stop = threading.Event()
    thread = threading.Thread(target=serve_until, args=(running.server, stop), daemon=True)
    thread.start()
    try:
        yield running
    finally:
        running.end_streams()
        stop.set()
        thread.join(10)
        running.close()
        assert not thread.is_alive(), "the booth's web server did not stop"
