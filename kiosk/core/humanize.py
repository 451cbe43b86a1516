"""Durations as staff and technicians read them: "45 s", "12 min", "3 h 5 min", "2 days"."""

from __future__ import annotations


def age(seconds: float | None, missing: str = "-") -> str:
    if seconds is None:
        return missing
    s = int(seconds)
    if s < 120:
        return f"{s} s"
    if s < 7200:
        return f"{s // 60} min"
    if s < 172800:
        return f"{s // 3600} h {s % 3600 // 60} min"
    return f"{s // 86400} days"
