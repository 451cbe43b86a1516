"""The staff console's parts: sign-in, health, batches, statistics, actions and the audit log.

``StaffConsole.build`` wires them for one running booth; the web pages (``kiosk.web.staff``) and the
metrics (``kiosk.ops.metrics``) only use what it holds. Nothing here is global: a test builds a console
around a booth made of fakes, with its own clock and its own idea of /sys and the disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from kiosk.core.clock import Clock
from kiosk.core.config import Config
from kiosk.staff.actions import StaffActions
from kiosk.staff.audit import AuditLog
from kiosk.staff.auth import LoginGuard, PasswordFile, SessionPolicy
from kiosk.staff.health import HealthMonitor, SystemProbe
from kiosk.staff.progress import DayProgress, day_progress
from kiosk.staff.running import RunningBooth
from kiosk.staff.schedule import batches_on
from kiosk.staff.stats import Stats, compute, load_day
from kiosk.staff.store import RECORDS_FILE, StaffStore
from kiosk.storage.records import load_secret

SESSION_KEY_FILE = "staff-session.key"


@dataclass(frozen=True)
class Overview:
    """Today at a glance: the day's figures and the batches' progress."""

    at: datetime
    today: Stats
    progress: DayProgress


@dataclass
class StaffConsole:
    runtime: RunningBooth
    store: StaffStore
    passwords: PasswordFile
    guard: LoginGuard
    sessions: SessionPolicy
    audit: AuditLog
    actions: StaffActions
    health: HealthMonitor
    clock: Clock
    kiosk_id: str
    secure_cookies: bool
    secret_key: bytes
    proxy_hops: int = 0  # trusted TLS proxies in front (0: none, the console stays on loopback)
    proxy_address: str = "127.0.0.1"

    @classmethod
    def build(
        cls, runtime: RunningBooth, config: Config, clock: Clock | None = None, probe: SystemProbe | None = None
    ) -> StaffConsole:
        """The console of ``runtime`` (a running booth); ``clock`` defaults to the booth's own."""
        clock = clock or runtime.booth.clock
        data = config.data_dir
        records_path = getattr(runtime.booth.records, "path", None) or data / RECORDS_FILE
        store = StaffStore(Path(records_path))
        audit = AuditLog(store, clock.wall)
        staff = config.staff
        return cls(
            runtime=runtime,
            store=store,
            passwords=PasswordFile.for_data_dir(data),
            guard=LoginGuard(staff.max_login_attempts, staff.lockout_minutes * 60),
            sessions=SessionPolicy(staff.session_minutes * 60),
            audit=audit,
            actions=StaffActions(runtime, store, audit, clock, data),
            health=HealthMonitor(runtime, store, data, config.upload.min_free_mb, clock, config.kiosk.id, probe),
            clock=clock,
            kiosk_id=config.kiosk.id,
            secure_cookies=staff.secure_cookies or staff.proxy_hops > 0,
            secret_key=load_secret(data / SESSION_KEY_FILE),
            proxy_hops=staff.proxy_hops,
            proxy_address=staff.proxy_address,
        )

    def now(self) -> float:
        """Wall-clock seconds, for session and lockout times (they must survive a restart)."""
        return self.clock.wall().timestamp()

    def today(self) -> date:
        return self.clock.wall().date()

    def overview(self) -> Overview:
        now = self.clock.wall()
        records = load_day(self.store, now.date())
        return Overview(now, compute(records), day_progress(batches_on(self.store, now.date()), records, now))

    def close(self) -> None:
        self.store.close()
