"""The audit log: who did what to the booth, and when, from the staff console or the command line.

Every staff action (sign-in, pause, resume, void, retry, schedule import, password change) leaves one
row. Rows are only ever added. ``detail`` is a small JSON object; it never holds a password or an
identity (the records hold none).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk.staff.store import StaffStore


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str  # ISO 8601 with offset
    who: str
    action: str
    target: str
    detail: dict[str, Any]
    remote: str


class AuditLog:
    """Appends and lists audit rows; ``now`` gives the wall-clock time of each entry."""

    def __init__(self, store: StaffStore, now: Callable[[], datetime]) -> None:
        self._store = store
        self._now = now

    def record(
        self, who: str, action: str, target: str = "", detail: dict[str, Any] | None = None, remote: str = ""
    ) -> None:
        with self._store.tx() as db:
            db.execute(
                "INSERT INTO audit_log(at, who, action, target, detail, remote) VALUES (?,?,?,?,?,?)",
                (
                    self._now().isoformat(timespec="seconds"),
                    who[:64],
                    action,
                    target[:200],
                    json.dumps(detail or {}, ensure_ascii=False),
                    remote[:64],
                ),
            )

    def entries(self, limit: int = 200) -> list[AuditEntry]:
        rows = self._store.query(
            "SELECT id, at, who, action, target, detail, remote FROM audit_log ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [
            AuditEntry(r["id"], r["at"], r["who"], r["action"], r["target"], json.loads(r["detail"]), r["remote"])
            for r in rows
        ]
