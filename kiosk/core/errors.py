"""The one error type for problems the person at the keyboard can fix (a config typo, a missing key).

Raised by the wiring as well as the subcommands, so it lives below both; the CLI prints it as one line
and exits with status 2, never with a traceback.
"""

from __future__ import annotations


class CliError(Exception):
    """A usage problem the person at the keyboard can fix; printed as one line, exit status 2."""
