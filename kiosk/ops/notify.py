"""Tell systemd how the booth is doing: ready, still alive, what it is doing, stopping.

The unit runs with ``Type=notify`` and ``WatchdogSec=``: systemd considers the booth started only once
it says ``READY=1`` (so ``systemctl start`` and the browser's wait mean "the page is up"), and kills and
restarts it when the ``WATCHDOG=1`` pings stop. The pings must prove the booth is working, not merely
that some thread is alive, so ``Watchdog`` pings only while a supplied ``alive()`` says the booth's
loop is still making progress: a booth whose state machine hangs is restarted within ``WatchdogSec``.

This is the plain sd_notify datagram protocol ($NOTIFY_SOCKET, an AF_UNIX datagram socket, possibly
in the abstract namespace when it starts with "@"), so no library is needed. Outside systemd (no
$NOTIFY_SOCKET) every call quietly does nothing and returns False.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notifier:
    """Sends sd_notify messages to ``address`` (the value of $NOTIFY_SOCKET), or nowhere when None."""

    address: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Notifier:
        env = os.environ if env is None else env
        return cls(env.get("NOTIFY_SOCKET") or None)

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, *assignments: str) -> bool:
        """Send ``KEY=VALUE`` lines as one datagram; True when systemd got it.

        Never raises: a lost notification must not take the booth down (systemd then restarts it
        through the watchdog or the start timeout, which is the right outcome anyway).
        """
        if self.address is None or not assignments:
            return False
        target = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        payload = "\n".join(assignments).encode("utf-8")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(payload, target)
        except OSError as exc:
            log.debug("sd_notify to %s failed: %s", self.address, exc)
            return False
        return True

    def ready(self, status: str | None = None) -> bool:
        """The booth is up and its page is listening."""
        return self.send("READY=1", *_status_line(status))

    def status(self, text: str) -> bool:
        """A one-line status for ``systemctl status kiosk``."""
        return self.send(*_status_line(text))

    def watchdog(self) -> bool:
        """One keep-alive ping."""
        return self.send("WATCHDOG=1")

    def stopping(self, status: str | None = None) -> bool:
        """The booth is shutting down on purpose (not a hang)."""
        return self.send("STOPPING=1", *_status_line(status))


def _status_line(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return ("STATUS=" + " ".join(text.split()),)  # one line: a newline would end the assignment


def watchdog_interval(env: Mapping[str, str] | None = None, pid: int | None = None) -> float | None:
    """Seconds between pings: half of $WATCHDOG_USEC, as systemd recommends; None when not asked.

    $WATCHDOG_PID, when set, names the process the watchdog is meant for; any other process (a child
    that inherited the environment) must not ping.
    """
    env = os.environ if env is None else env
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    if usec <= 0:
        return None
    owner = env.get("WATCHDOG_PID")
    if owner and owner.strip() != str(os.getpid() if pid is None else pid):
        return None
    return usec / 2 / 1_000_000


class Watchdog:
    """Pings systemd's watchdog every ``interval_s`` while ``alive()`` is true, on a daemon thread.

    ``alive`` should answer "has the booth loop made progress lately?", for example
    ``lambda: runtime.last_step_age() < 10``. While it says no, or raises, no ping is sent, the stall is
    shown in ``systemctl status`` and systemd restarts the booth once ``WatchdogSec`` passes. Pinging
    resumes if the loop recovers first. ``interval_s`` defaults to ``watchdog_interval()``; with no
    watchdog configured, ``start()`` does nothing.
    """

    def __init__(
        self,
        notifier: Notifier,
        alive: Callable[[], bool],
        interval_s: float | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._notifier = notifier
        self._alive = alive
        self.interval_s = interval_s if interval_s is not None else watchdog_interval(env)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._stalled = False

    @property
    def active(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> bool:
        """Start pinging; False (and nothing started) when there is no watchdog or no socket."""
        if self.interval_s is None or self.interval_s <= 0 or not self._notifier.enabled or self.active:
            return False
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="watchdog", daemon=True)
        self._thread.start()
        return True

    def stop(self) -> None:
        """Stop pinging (call before a deliberate shutdown, with ``Notifier.stopping()``)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def tick(self) -> bool:
        """One check: ping if alive. Returns whether a ping was sent (the thread calls this)."""
        try:
            ok = bool(self._alive())
        except Exception:
            log.exception("watchdog: alive() failed; treating the booth as stalled")
            ok = False
        if not ok:
            if not self._stalled:
                log.error("watchdog: the booth loop is not making progress; withholding the keep-alive")
                self._notifier.status("booth loop stalled; systemd restarts it if it does not recover")
                self._stalled = True
            return False
        if self._stalled:
            log.warning("watchdog: the booth loop is making progress again")
            self._notifier.status("running")
            self._stalled = False
        return self._notifier.watchdog()

    def _run(self) -> None:
        assert self.interval_s is not None
        self.tick()
        while not self._stop.wait(self.interval_s):
            self.tick()

    def __enter__(self) -> Watchdog:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["Notifier", "Watchdog", "watchdog_interval"]
