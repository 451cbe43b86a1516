"""The booth's state machine: one small class per state, driven by events and a monotonic clock.

It imports neither Flask nor any hardware library: the camera, lights, code reader, checker, records
and upload queue reach it through the small interfaces in ``ports``, so tests drive it with fakes and a
fake clock.
"""

from kiosk.booth.events import Answer, ButtonPressed, CodeSeen, CodeSighted, Event, Hints, StaffCommand, Touch
from kiosk.booth.machine import Booth, BoothSettings

__all__ = [
    "Answer",
    "Booth",
    "BoothSettings",
    "ButtonPressed",
    "CodeSeen",
    "CodeSighted",
    "Event",
    "Hints",
    "StaffCommand",
    "Touch",
]
