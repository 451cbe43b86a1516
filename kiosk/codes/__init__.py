"""Capture codes (采集码): decrypt the student's QR text into a masked identity, whatever its format.

``load_code_reader`` builds a ``CodeReader`` from the config; ``CodeReader.decode(text, now)`` returns
the ``Subject`` or raises ``CodeError`` whose ``outcome`` says what to tell the student.
"""

from kiosk.codes.errors import CodeConfigError
from kiosk.codes.keyring import Keyring, KeyringError
from kiosk.codes.outcomes import (
    DAMAGED,
    DECODE_OUTCOMES,
    EXPIRED,
    MALFORMED,
    NO_CODE_FOUND,
    NOT_A_CAPTURE_CODE,
    NOT_YET_VALID,
    OK,
    TAMPERED,
    UNKNOWN_KEY,
    CodeError,
    Outcome,
)
from kiosk.codes.reader import CodeReader, Decoder, load_code_reader
from kiosk.codes.subject import Subject, mask_idn, mask_name
from kiosk.codes.xc1 import XC1Decoder, issue_code

__all__ = [
    "DAMAGED",
    "DECODE_OUTCOMES",
    "EXPIRED",
    "MALFORMED",
    "NOT_A_CAPTURE_CODE",
    "NOT_YET_VALID",
    "NO_CODE_FOUND",
    "OK",
    "TAMPERED",
    "UNKNOWN_KEY",
    "CodeConfigError",
    "CodeError",
    "CodeReader",
    "Decoder",
    "Keyring",
    "KeyringError",
    "Outcome",
    "Subject",
    "XC1Decoder",
    "issue_code",
    "load_code_reader",
    "mask_idn",
    "mask_name",
]
