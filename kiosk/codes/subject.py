"""The student as a capture code describes them, and the masking that keeps plain identity off the booth."""

from __future__ import annotations

from dataclasses import dataclass, fields

from kiosk.capture import SubjectInfo

MASK = "*"


@dataclass(frozen=True)
class Subject(SubjectInfo):
    """A decoded code's subject: the five masked fields, nothing else (no key, no timestamps)."""

    def to_subject_info(self) -> SubjectInfo:
        """The plain record that storage and the upload queue take."""
        return SubjectInfo(**{f.name: getattr(self, f.name) for f in fields(SubjectInfo)})


def mask_name(name: str) -> str:
    """Keep the first character and hide the rest, unless ``name`` is already masked."""
    if MASK in name:
        return name
    return name[:1] + MASK * (len(name) - 1)


def mask_idn(idn: str) -> str:
    """Keep the last four characters and hide the rest, unless ``idn`` is already masked."""
    if MASK in idn:
        return idn
    return MASK * max(len(idn) - 4, 0) + idn[-4:]
