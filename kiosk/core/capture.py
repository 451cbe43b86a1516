"""The record of one accepted capture, as the booth hands it to storage and the upload queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class SubjectInfo:
    """The student as the capture code describes them: masked fields only, never a plain name or ID."""

    uid: str
    name: str  # masked, e.g. 张**
    idn: str  # masked, e.g. *****8746
    school: str
    level: str

    def to_dict(self) -> dict[str, str]:
        return {
            "uid": self.uid,
            "name": self.name,
            "idn": self.idn,
            "school": self.school,
            "level": self.level,
        }


@dataclass(frozen=True)
class AcceptedCapture:
    capture_id: str  # UUID4 text
    kiosk_id: str
    subject: SubjectInfo
    taken_at: datetime  # aware
    profile: str
    attempt: int
    report: dict[str, Any]  # Report.to_dict()
    photo_jpeg: bytes  # the registration photo (480x640 once the spec crop is in place)
    original_jpeg: bytes | None = None  # full-resolution still, only when the config asks for it
    # Asked (unsure) checks whose question the student answered "does not apply", in the order asked;
    # the centre can look at those photos again.
    answered: tuple[str, ...] = ()


class CaptureSink(Protocol):
    """Where accepted captures go for safe keeping (the sealed upload queue)."""

    def submit(self, capture: AcceptedCapture) -> None:
        """Store ``capture`` durably; return only once it would survive a power cut."""

    def holds(self, capture_id: str) -> bool:
        """Does durable storage already hold this capture (after a crash, whatever the booth's records say)?"""
