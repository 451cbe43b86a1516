"""Is the clock synchronised? Capture codes carry their issue time and are checked against it.

Asked of systemd's timedated (``timedatectl show -p NTPSynchronized``): ``yes`` is synchronised, any
other answer is not, and no answer (no systemd, no timedated, a hang) leaves it unknown.
"""

from __future__ import annotations

from kiosk.ops.probes.command import Runner, run_command
from kiosk.ops.probes.result import Level, ProbeResult

TIMEDATECTL = ("timedatectl", "show", "-p", "NTPSynchronized", "--value")


def probe_clock(run: Runner | None = None, timeout_s: float = 2.0) -> ProbeResult[bool | None]:
    """Fails when timedated says the clock is not synchronised; a warning when it cannot tell."""
    answer = (run or (lambda argv: run_command(argv, timeout_s)))(TIMEDATECTL)
    if answer is None:
        return ProbeResult(Level.WARN, "synchronisation unknown (timedatectl not available)", None)
    if answer.strip() == "yes":
        return ProbeResult(Level.OK, "synchronised", True)
    return ProbeResult(Level.FAIL, "not synchronised", False)
