"""Reading a student's name and ID number for a technician's command, never from the command line.

A command line is visible to every user through ``ps`` and is kept by sudo's log and the shell history,
so the name and ID number are typed at a prompt (the ID number without echo) or piped on stdin as two
lines: name, then ID number. They are masked before anything is stored.
"""

from __future__ import annotations

import getpass
import sys
from typing import TextIO

from kiosk.core.errors import CliError

ARGV_REFUSED = (
    "--name and --idn are not taken on the command line (ps and sudo logs would show them): "
    "type them when asked, or pipe two lines (name, then ID number) on stdin"
)


def read_identity(stdin: TextIO | None = None) -> tuple[str, str]:
    """The (name, ID number) typed at the terminal or read as the first two lines of ``stdin``."""
    stream = sys.stdin if stdin is None else stdin
    if stream is None:
        raise CliError("no stdin to read the name and ID number from")
    if stream.isatty():
        try:
            name = input("student name (masked before it is stored): ")
            idn = getpass.getpass("ID number (not shown; masked before it is stored): ")
        except EOFError:
            raise CliError("name and ID number are needed") from None
    else:
        lines = [line.strip() for line in stream.read(4096).splitlines() if line.strip()]
        if len(lines) != 2:
            raise CliError("stdin: expected two lines, the name and then the ID number")
        name, idn = lines
    name, idn = name.strip(), idn.strip()
    if not name or not idn:
        raise CliError("name and ID number must not be empty")
    return name, idn
