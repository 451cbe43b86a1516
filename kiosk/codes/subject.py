"""The student as a capture code describes them, and the masking that keeps plain identity off the booth.

The masking rule (capture-code design note: ``张**三``, ``*****8746``) is enforced, not trusted: whatever
a decoder or a technician hands over is re-masked when it shows more than the rule allows, so a code
issued with a full name and ID number is still shown, logged and sealed masked.

* name: at most two characters visible, and never more visible than hidden (a one-character name stays);
* ID number: at most the last four characters visible.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import TypeVar

from kiosk.core.capture import SubjectInfo

MASK = "*"
NAME_MAX_VISIBLE = 2
IDN_MAX_VISIBLE = 4

S = TypeVar("S", bound=SubjectInfo)


@dataclass(frozen=True)
class Subject(SubjectInfo):
    """A decoded code's subject: the five masked fields, nothing else (no key, no timestamps)."""

    def to_subject_info(self) -> SubjectInfo:
        """The plain record that storage and the upload queue take."""
        return SubjectInfo(**{f.name: getattr(self, f.name) for f in fields(SubjectInfo)})


def _visible(text: str) -> int:
    return sum(1 for ch in text if ch != MASK)


def name_is_masked(name: str) -> bool:
    """True when ``name`` shows no more than the masking rule allows."""
    visible = _visible(name)
    return visible <= NAME_MAX_VISIBLE and visible <= max(1, len(name) - visible)


def idn_is_masked(idn: str) -> bool:
    """True when ``idn`` shows at most its last four characters."""
    return _visible(idn[:-IDN_MAX_VISIBLE]) == 0


def mask_name(name: str) -> str:
    """Keep the first character and hide the rest, unless ``name`` is already masked within the rule."""
    if name_is_masked(name):
        return name
    return name[:1] + MASK * (len(name) - 1)


def mask_idn(idn: str) -> str:
    """Keep the last four characters and hide the rest, unless ``idn`` is already masked within the rule."""
    if idn_is_masked(idn):
        return idn
    return MASK * max(len(idn) - IDN_MAX_VISIBLE, 0) + idn[-IDN_MAX_VISIBLE:]


def is_masked(subject: SubjectInfo) -> bool:
    return name_is_masked(subject.name) and idn_is_masked(subject.idn)


def enforce_masking(subject: S) -> S:
    """``subject`` with name and ID number re-masked where they show more than the rule allows."""
    if is_masked(subject):
        return subject
    return replace(subject, name=mask_name(subject.name), idn=mask_idn(subject.idn))
