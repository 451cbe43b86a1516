"""What can happen to the booth from outside: codes seen, touches, the big button, staff commands."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.vision.report import Message


@dataclass(frozen=True)
class CodeSeen:
    """The QR scanner read this text from a preview frame."""

    text: str


@dataclass(frozen=True)
class CodeSighted:
    """The QR scanner sees something code-like in a preview frame but cannot read it.

    ``advice`` is what would most likely help: "closer", "brighter" or "steadier".
    """

    advice: str


@dataclass(frozen=True)
class Touch:
    """A button on the student's touch screen: confirm, cancel, start, accept, retake, finish."""

    action: str


@dataclass(frozen=True)
class Answer:
    """The student answered an asked check's question with "this does not apply to me".

    It names the check, so a double tap can only answer the question that was on screen.
    """

    check_id: str


@dataclass(frozen=True)
class ButtonPressed:
    """The physical button: it means "yes, go on" in whatever state the booth is in."""


@dataclass(frozen=True)
class StaffCommand:
    """pause or resume, from the staff console."""

    command: str


@dataclass(frozen=True)
class Hints:
    """Live posing hints from the preview (too small, off centre, tilted ...); empty when all is well."""

    messages: tuple[Message, ...]


Event = CodeSeen | CodeSighted | Touch | Answer | ButtonPressed | StaffCommand | Hints
