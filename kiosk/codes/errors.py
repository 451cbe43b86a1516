"""The configuration error type shared by the keyring and the decoder loader."""

from __future__ import annotations


class CodeConfigError(ValueError):
    """The code-reading set-up (keyring, decoder list) cannot work; one line for the technician."""
