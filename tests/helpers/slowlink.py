"""A slow network link on loopback: a TCP proxy that forwards what a client sends at a set pace.

Why: on loopback a whole envelope reaches the server the instant it is sent, so a process killed
"during an upload" has in fact already delivered it. Through this link a request takes a while to
cross, and a client that dies half-way is cut off the way a real link would cut it: the server never
sees the rest (the upstream connection is reset), so it never stores that request.

``forwarding`` is set while some client bytes are waiting to cross; ``cut`` counts connections whose
client vanished with bytes still on the link (a request started and never delivered). ``sender`` names
whoever connects from now on; ``senders`` maps the local port of each connection the link opened to the
server to the sender of its client, so the server side can tell which client a request came from.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class SlowLink:
    upstream: tuple[str, int]
    chunk: int = 2048
    pause_s: float = 0.004
    forwarding: threading.Event = field(default_factory=threading.Event)
    cut: int = 0
    sender: str = ""
    senders: dict[int, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _pending: int = 0  # connections with bytes still on the link

    def _busy(self, delta: int) -> None:
        with self._lock:
            self._pending += delta
            if self._pending > 0:
                self.forwarding.set()
            else:
                self.forwarding.clear()

    def serve(self, client: socket.socket, stop: threading.Event, sender: str) -> None:
        server = socket.create_connection(self.upstream)
        self.senders[server.getsockname()[1]] = sender
        buffer = bytearray()
        cond = threading.Condition()
        gone = threading.Event()

        def from_client() -> None:
            while True:
                try:
                    data = client.recv(65536)
                except OSError:
                    data = b""
                with cond:
                    if not data:
                        gone.set()
                    else:
                        if not buffer:
                            self._busy(+1)
                        buffer.extend(data)
                    cond.notify()
                if not data:
                    return

        def to_client() -> None:
            while True:
                try:
                    data = server.recv(65536)
                    if not data:
                        break
                    client.sendall(data)
                except OSError:
                    break
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)

        threading.Thread(target=from_client, daemon=True).start()
        back = threading.Thread(target=to_client, daemon=True)
        back.start()
        try:
            while not stop.is_set():
                with cond:
                    while not buffer and not gone.is_set() and not stop.is_set():
                        cond.wait(0.05)
                    if gone.is_set() and buffer:  # the client died with its request half across
                        self.cut += 1
                        buffer.clear()
                        self._busy(-1)
                        break
                    if gone.is_set() or stop.is_set():
                        break
                    piece = bytes(buffer[: self.chunk])
                    del buffer[: self.chunk]
                    if not buffer:
                        self._busy(-1)
                try:
                    server.sendall(piece)
                except OSError:
                    break
                time.sleep(self.pause_s)
        finally:
            for sock in (server, client):  # the server sees the request end half-way and drops it
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            back.join(5)
            server.close()
            client.close()


@contextlib.contextmanager
def slow_link(upstream_url: str, **kw: float) -> Iterator[tuple[str, SlowLink]]:
    """Yield (URL of the link, the link) for an ``http://127.0.0.1:port`` upstream."""
    host, port = upstream_url.removeprefix("http://").rsplit(":", 1)
    link = SlowLink((host, int(port)), **kw)  # type: ignore[arg-type]
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    workers: list[threading.Thread] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            worker = threading.Thread(target=link.serve, args=(client, stop, link.sender), daemon=True)
            worker.start()
            workers.append(worker)

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", link
    finally:
        stop.set()
        acceptor.join(5)
        listener.close()
        for worker in workers:
            worker.join(5)
