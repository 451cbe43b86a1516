"""Logging set-up: readable lines on a terminal, journald-friendly lines under systemd, no identity.

Under systemd the booth's stderr goes to the journal, which adds its own timestamp and unit name, and
reads a ``<N>`` prefix on each line as that line's syslog priority. So when $JOURNAL_STREAM says stderr
is the journal, lines are written as ``<4>kiosk.hw.supervisor: camera fault: ...`` and
``journalctl -u kiosk -p warning`` shows exactly the warnings and errors. A traceback gets the prefix
on every line, so it keeps its priority instead of turning into "info" after its first line.

Identity rule: only masked identity ever reaches a log line. Code that logs about a student logs the
``SubjectInfo`` fields as the capture code gave them (already masked: 张**, *****8746) or the uid, and
never a capture code's text, which is a credential. As a safety net every line also passes through
``mask_identity``, which hides what looks like a full Chinese ID number, a mobile number or a
capture code, should one ever slip into a message or an exception.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Mapping
from typing import TextIO

# Python level -> syslog priority (sd-daemon(3)): debug 7, info 6, notice 5, warning 4, err 3, crit 2.
_PRIORITIES = ((logging.CRITICAL, 2), (logging.ERROR, 3), (logging.WARNING, 4), (logging.INFO, 6))

# A full resident ID: 17 digits and a check digit (or X), not part of a longer number or a hex digest.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{14})(\d{3}[\dXx])(?![0-9A-Za-z])")
# A mainland mobile number: 1, then 3-9, then nine digits.
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d{5})(\d{4})(?!\d)")
# A capture code (XC1:<kid>:<base64url>): keep the key id, drop the sealed part.
_CAPTURE_CODE = re.compile(r"\b(XC\d+:[A-Za-z0-9_-]{1,40}:)[A-Za-z0-9_-]{8,}")

TERMINAL_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JOURNAL_FORMAT = "%(name)s: %(message)s"


def mask_identity(text: str) -> str:
    """``text`` with full ID numbers, mobile numbers and capture codes masked (last four digits kept)."""
    text = _CAPTURE_CODE.sub(lambda m: m.group(1) + "<hidden>", text)
    text = _ID_NUMBER.sub(lambda m: "*" * 14 + m.group(2), text)
    return _MOBILE.sub(lambda m: "*" * 7 + m.group(2), text)


def syslog_priority(levelno: int) -> int:
    for level, priority in _PRIORITIES:
        if levelno >= level:
            return priority
    return 7


class MaskingFormatter(logging.Formatter):
    """Formats as usual, then masks identity in the whole line (message, arguments and traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_identity(super().format(record))


class JournalFormatter(MaskingFormatter):
    """``<N>name: message``, the prefix repeated on every line of a multi-line record."""

    def __init__(self) -> None:
        super().__init__(JOURNAL_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{syslog_priority(record.levelno)}>"
        return "\n".join(prefix + line for line in super().format(record).splitlines() or [""])


class IdentityFilter(logging.Filter):
    """Masks identity in a record before any handler sees it; for handlers set up elsewhere."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_identity(record.getMessage())
        record.args = None
        return True


def under_journald(stream: TextIO | None = None, env: Mapping[str, str] | None = None) -> bool:
    """Whether ``stream`` (default stderr) is connected to the journal, per $JOURNAL_STREAM.

    systemd sets JOURNAL_STREAM to "<device>:<inode>" of the journal socket; comparing it with the
    stream's own file means a child whose stderr was redirected elsewhere is not fooled.
    """
    env = os.environ if env is None else env
    value = env.get("JOURNAL_STREAM", "")
    stream = sys.stderr if stream is None else stream
    try:
        device, inode = (int(part) for part in value.split(":", 1))
        info = os.fstat(stream.fileno())
    except (ValueError, OSError, AttributeError):
        return False
    return (info.st_dev, info.st_ino) == (device, inode)


def setup_logging(
    verbose: bool = False,
    stream: TextIO | None = None,
    env: Mapping[str, str] | None = None,
) -> logging.Handler:
    """Configure the root logger for the ``kiosk`` command; returns the handler it installed.

    Replaces any handler installed before, so calling it twice (tests) does not double every line.
    """
    stream = sys.stderr if stream is None else stream
    handler = logging.StreamHandler(stream)
    if under_journald(stream, env):
        handler.setFormatter(JournalFormatter())
    else:
        handler.setFormatter(MaskingFormatter(TERMINAL_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    return handler


__all__ = [
    "IdentityFilter",
    "JournalFormatter",
    "MaskingFormatter",
    "mask_identity",
    "setup_logging",
    "syslog_priority",
    "under_journald",
]
