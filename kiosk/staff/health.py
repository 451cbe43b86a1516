"""The booth's health in one snapshot, for the staff dashboard and the metrics scrape.

Each part is read from where it lives, without waiting on the hardware: the camera supervisor's status
(frame age, fps), the pins the lights are driving and the button, the compliance model and the time its
last check took (``captures.check_ms`` in the records), free disk space, the Raspberry Pi's CPU
temperature (``/sys/class/thermal``), under-voltage (the ``rpi_volt`` hwmon sensor) and throttling
(``vcgencmd get_throttled``, when installed), memory (``/proc/meminfo``), clock synchronisation
(``timedatectl``, when present) and the upload queue. A part that cannot be read shows as unknown
(None) rather than failing the snapshot.

Everything outside the process comes through a ``SystemProbe`` (a root folder for /sys and /proc, a
command runner, a disk-usage function), so tests describe a hot, throttled Pi with a full disk in a few
files. Snapshots are cached for a couple of seconds and command output for half a minute, so many
dashboards and a Prometheus scrape cost the booth next to nothing.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from kiosk.core.clock import Clock
from kiosk.ops.probes import Runner, probe_clock, probe_disk_free, run_command
from kiosk.staff.labels import check_label
from kiosk.staff.running import RunningBooth
from kiosk.staff.store import StaffStore

log = logging.getLogger(__name__)

MB = 1024 * 1024
HOT_C = 80.0  # the Pi starts to throttle at 80 °C (soft limit), hard at 85 °C
STALE_FRAME_S = 5.0
OLD_PENDING_S = 3600.0
LOW_MEMORY_MB = 100.0

# vcgencmd get_throttled bits
UNDER_VOLTAGE_NOW = 1 << 0
FREQ_CAPPED_NOW = 1 << 1
THROTTLED_NOW = 1 << 2
SOFT_TEMP_LIMIT_NOW = 1 << 3
UNDER_VOLTAGE_OCCURRED = 1 << 16
THROTTLED_OCCURRED = 1 << 18


@dataclass(frozen=True)
class SystemProbe:
    """Where the snapshot reads the operating system from (the real one unless a test says otherwise)."""

    root: Path = Path("/")
    run: Runner = run_command
    disk_usage: Callable[[Path], Any] = shutil.disk_usage

    def read(self, relative: str) -> str | None:
        try:
            return (self.root / relative).read_text(encoding="ascii", errors="replace").strip()
        except OSError:
            return None

    def cpu_temp_c(self) -> float | None:
        """The CPU's thermal zone (type cpu-thermal on a Pi), else the first zone that reads."""
        zones = sorted((self.root / "sys/class/thermal").glob("thermal_zone*"))
        zones.sort(key=lambda z: self.read(str(z.relative_to(self.root) / "type")) != "cpu-thermal")
        for zone in zones:
            raw = self.read(str(zone.relative_to(self.root) / "temp"))
            try:
                return round(int(raw or "") / 1000.0, 1)
            except ValueError:
                continue
        return None

    def under_voltage_hwmon(self) -> bool | None:
        """The rpi_volt sensor's alarm: True while the supply is below 4.63 V."""
        for hwmon in sorted((self.root / "sys/class/hwmon").glob("hwmon*")):
            base = str(hwmon.relative_to(self.root))
            if self.read(f"{base}/name") == "rpi_volt":
                alarm = self.read(f"{base}/in0_lcrit_alarm")
                return None if alarm is None else alarm == "1"
        return None

    def throttled_bits(self) -> int | None:
        out = self.run(["vcgencmd", "get_throttled"])
        if not out or "=" not in out:
            return None
        try:
            return int(out.split("=", 1)[1].strip(), 16)
        except ValueError:
            return None

    def memory_mb(self) -> tuple[float | None, float | None]:
        """Total and available memory from /proc/meminfo, in MB."""
        text = self.read("proc/meminfo") or ""
        values: dict[str, float] = {}
        for line in text.splitlines():
            name, _, rest = line.partition(":")
            parts = rest.split()
            if parts and parts[0].isdigit():
                values[name] = int(parts[0]) / 1024.0
        return values.get("MemTotal"), values.get("MemAvailable")

    def clock_synchronised(self) -> bool | None:
        return probe_clock(self.run).value


@dataclass(frozen=True)
class BoothHealth:
    state: str
    paused: bool
    ready: bool
    problems: list[str]
    loop_age_s: float | None
    # The checks of a verdict only staff can fix (a blue top), while the booth shows it: a student at
    # the booth has been told to ask staff. Empty otherwise.
    staff_needed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CameraHealth:
    healthy: bool
    last_frame_age_s: float | None
    fps: float
    last_error: str | None
    reopen_count: int


@dataclass(frozen=True)
class GpioHealth:
    scene: str | None
    lights: dict[str, float] | None  # what each pin drives, 0..1
    button_pressed: bool | None
    error: str | None = None


@dataclass(frozen=True)
class ModelHealth:
    loaded: bool
    profile: str | None
    last_check_ms: float | None
    last_check_age_s: float | None
    calibration: str = "missing"  # kiosk.vision.calibration: missing, fresh or stale
    calibration_detail: str = ""


@dataclass(frozen=True)
class DiskHealth:
    path: str
    free_mb: float | None
    total_mb: float | None
    min_free_mb: int
    ok: bool


@dataclass(frozen=True)
class SystemHealth:
    cpu_temp_c: float | None
    under_voltage_now: bool | None
    throttled_now: bool | None
    under_voltage_occurred: bool | None
    throttled_occurred: bool | None
    throttled_raw: str | None
    memory_total_mb: float | None
    memory_available_mb: float | None
    clock_synchronised: bool | None


@dataclass(frozen=True)
class QueueHealth:
    available: bool
    pending: int = 0
    uploading: int = 0
    done: int = 0
    quarantined: int = 0
    voided: int = 0  # withdrawn by staff before they were sent
    oldest_pending_age_s: float | None = None
    last_success_age_s: float | None = None
    last_success_at: float | None = None  # wall-clock seconds
    last_error: str | None = None
    last_error_age_s: float | None = None
    quarantined_items: list[dict[str, Any]] = field(default_factory=list)
    uploader_state: str | None = None  # see kiosk.upload.state: sending, centre-unreachable, storage-error...
    uploader: str | None = None  # one line for staff
    rebuilt: dict[str, Any] | None = None  # the last rebuild of a damaged queue database


@dataclass(frozen=True)
class HealthWarning:
    """Something staff should look at, in both languages; ``level`` is "warn" or "bad"."""

    key: str
    level: str
    zh: str
    en: str


@dataclass(frozen=True)
class Health:
    at: str
    kiosk_id: str
    booth: BoothHealth
    camera: CameraHealth | None
    gpio: GpioHealth
    model: ModelHealth
    disk: DiskHealth
    system: SystemHealth
    queue: QueueHealth
    warnings: list[HealthWarning]

    @property
    def level(self) -> str:
        levels = {w.level for w in self.warnings}
        return "bad" if "bad" in levels else "warn" if levels else "ok"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "level": self.level}


class HealthMonitor:
    """Builds health snapshots of one running booth (``runtime``), cached for ``cache_s`` seconds."""

    def __init__(
        self,
        runtime: RunningBooth,
        store: StaffStore,
        data_dir: Path,
        min_free_mb: int,
        clock: Clock,
        kiosk_id: str,
        probe: SystemProbe | None = None,
        cache_s: float = 2.0,
        command_cache_s: float = 30.0,
    ) -> None:
        self.runtime = runtime
        self.store = store
        self.data_dir = Path(data_dir)
        self.min_free_mb = min_free_mb
        self.clock = clock
        self.kiosk_id = kiosk_id
        self.probe = probe or SystemProbe()
        self.cache_s = cache_s
        self.command_cache_s = command_cache_s
        self._lock = threading.Lock()
        self._cached: tuple[float, Health] | None = None
        self._commands: tuple[float, int | None, bool | None] | None = None
        self._success: tuple[float, float | None] | None = None

    def snapshot(self) -> Health:
        now = self.clock.now()
        with self._lock:
            if self._cached and now - self._cached[0] < self.cache_s:
                return self._cached[1]
            health = self._build()
            self._cached = (now, health)
            return health

    # -- parts -----------------------------------------------------------------------------------------

    def _build(self) -> Health:
        wall = self.clock.wall()
        booth = self._booth()
        camera = self._camera()
        gpio = self._gpio()
        model = self._model(wall)
        disk = self._disk()
        system = self._system()
        queue = self._queue()
        warnings = self._warnings(booth, camera, model, disk, system, queue)
        return Health(
            wall.isoformat(timespec="seconds"), self.kiosk_id, booth, camera, gpio, model, disk, system, queue, warnings
        )

    def _booth(self) -> BoothHealth:
        rt = self.runtime
        snap = rt.booth.snapshot()
        try:
            problems = list(rt.readiness_problems())
        except Exception as exc:
            log.exception("readiness check failed")
            problems = [f"readiness unknown: {type(exc).__name__}"]
        age = rt.last_step_age()
        verdict = snap.get("verdict") or {}
        staff_needed = []
        if snap.get("state") == "review" and verdict.get("staff"):
            staff_needed = [r["id"] for r in verdict.get("reasons", []) if r.get("staff")]
        return BoothHealth(
            state=str(snap.get("state", "unknown")),
            paused=bool(snap.get("paused", False)),
            ready=not problems,
            problems=problems,
            loop_age_s=round(age, 2),
            staff_needed=staff_needed,
        )

    def _camera(self) -> CameraHealth | None:
        try:
            s = self.runtime.camera.status()
        except Exception:
            log.exception("camera status failed")
            return None
        age = s.last_frame_age_s
        return CameraHealth(s.healthy, None if age is None else round(age, 2), s.fps, s.last_error, s.reopen_count)

    def _gpio(self) -> GpioHealth:
        parts = self.runtime.parts
        levels = scene = pressed = error = None
        try:
            levels = {k: round(float(v), 3) for k, v in parts.lights.levels().items()}
            scene = parts.lights.scene
            pressed = bool(parts.button.is_pressed)
        except Exception as exc:  # a pin that cannot be read is itself a finding
            error = f"{type(exc).__name__}: {exc}"[:200]
        return GpioHealth(scene, levels, pressed, error)

    def _model(self, wall: datetime) -> ModelHealth:
        checker = getattr(self.runtime.booth, "checker", None)
        loaded = checker is not None and getattr(checker, "analyser", True) is not None
        rows = self.store.query("SELECT taken_at, check_ms FROM captures ORDER BY rowid DESC LIMIT 1")
        last_ms = age = None
        if rows:
            last_ms = round(float(rows[0]["check_ms"]), 1)
            try:
                age = round(max(0.0, (wall - datetime.fromisoformat(rows[0]["taken_at"])).total_seconds()), 1)
            except (TypeError, ValueError):
                age = None
        from kiosk.vision.calibration import Calibration

        calibration = Calibration.load(self.data_dir)
        return ModelHealth(
            loaded,
            getattr(checker, "profile_name", None),
            last_ms,
            age,
            calibration.status(wall),
            calibration.summary(),
        )

    def _disk(self) -> DiskHealth:
        space = probe_disk_free(self.data_dir, self.min_free_mb, self.probe.disk_usage)
        if space.value is None:
            log.warning("%s", space.detail)
            return DiskHealth(str(self.data_dir), None, None, self.min_free_mb, False)
        total = space.value.total_mb
        return DiskHealth(
            str(self.data_dir),
            round(space.value.free_mb, 1),
            None if total is None else round(total, 1),
            self.min_free_mb,
            space.ok,
        )

    def _system(self) -> SystemHealth:
        now = self.clock.now()
        if self._commands is None or now - self._commands[0] >= self.command_cache_s:
            self._commands = (now, self.probe.throttled_bits(), self.probe.clock_synchronised())
        _, bits, synced = self._commands
        hwmon = self.probe.under_voltage_hwmon()
        under_now = hwmon if hwmon is not None else (None if bits is None else bool(bits & UNDER_VOLTAGE_NOW))
        if hwmon is not None and bits is not None:
            under_now = hwmon or bool(bits & UNDER_VOLTAGE_NOW)
        total, available = self.probe.memory_mb()
        return SystemHealth(
            cpu_temp_c=self.probe.cpu_temp_c(),
            under_voltage_now=under_now,
            throttled_now=None
            if bits is None
            else bool(bits & (THROTTLED_NOW | FREQ_CAPPED_NOW | SOFT_TEMP_LIMIT_NOW)),
            under_voltage_occurred=None if bits is None else bool(bits & UNDER_VOLTAGE_OCCURRED),
            throttled_occurred=None if bits is None else bool(bits & THROTTLED_OCCURRED),
            throttled_raw=None if bits is None else f"0x{bits:x}",
            memory_total_mb=None if total is None else round(total, 1),
            memory_available_mb=None if available is None else round(available, 1),
            clock_synchronised=synced,
        )

    def _queue(self) -> QueueHealth:
        outbox = self.runtime.parts.outbox
        from kiosk.upload.state import StateFile, describe

        state = StateFile(outbox.dir).read()
        uploader_state, uploader = (state.state if state else None), describe(state)
        try:
            status = outbox.status()
            last = self._last_success(outbox)
            wall = outbox.now()
        except Exception:
            log.exception("queue status failed")
            return QueueHealth(available=False, uploader_state=uploader_state, uploader=uploader)
        c = status.counts
        return QueueHealth(
            available=True,
            pending=c.get("pending", 0),
            uploading=c.get("uploading", 0),
            done=c.get("done", 0),
            quarantined=c.get("quarantined", 0),
            voided=status.voided,
            oldest_pending_age_s=_round(status.oldest_pending_age_s),
            last_success_age_s=None if last is None else round(max(0.0, wall - last), 1),
            last_success_at=last,
            last_error=status.last_error,
            last_error_age_s=_round(status.last_error_age_s),
            quarantined_items=list(status.quarantined),
            rebuilt=status.rebuilt,
            uploader_state=uploader_state,
            uploader=uploader,
        )

    def _last_success(self, outbox: Any) -> float | None:
        """When the centre last confirmed a capture; read from the whole queue, so only every half minute."""
        now = self.clock.now()
        if self._success is None or now - self._success[0] >= self.command_cache_s:
            done_at = [e.done_at for e in outbox.entries("done") if e.done_at is not None]
            self._success = (now, max(done_at) if done_at else None)
        return self._success[1]

    @staticmethod
    def _warnings(
        booth: BoothHealth,
        camera: CameraHealth | None,
        model: ModelHealth,
        disk: DiskHealth,
        system: SystemHealth,
        queue: QueueHealth,
    ) -> list[HealthWarning]:
        out: list[HealthWarning] = []
        self_paused = [p for p in booth.problems if p.startswith("paused itself")]
        if self_paused:
            out.append(HealthWarning("paused", "bad", "本机已自动暂停，请检查后恢复", f"The booth {self_paused[0]}"))
        elif booth.paused:
            out.append(HealthWarning("paused", "warn", "本机已由工作人员暂停", "The booth is paused by staff"))
        for problem in booth.problems:
            if problem != "paused by staff" and problem not in self_paused:
                out.append(
                    HealthWarning("not_ready", "bad", "本机暂不能接待学生", f"Not ready for students: {problem}")
                )
        if booth.staff_needed:
            names = [check_label(c) for c in booth.staff_needed]
            out.append(
                HealthWarning(
                    "staff_needed",
                    "warn",
                    "有学生需要工作人员协助：" + "、".join(zh for zh, _ in names),
                    "A student at the booth needs staff: " + ", ".join(en for _, en in names),
                )
            )
        if camera is not None and (not camera.healthy or (camera.last_frame_age_s or 0) > STALE_FRAME_S):
            out.append(HealthWarning("camera", "bad", "相机没有画面", "The camera is not delivering frames"))
        if not model.loaded:
            out.append(HealthWarning("model", "bad", "合规检测模型未加载", "The compliance model is not loaded"))
        if not disk.ok:
            out.append(
                HealthWarning("disk", "bad", "存储空间不足", f"Disk nearly full (below {disk.min_free_mb} MB free)")
            )
        if system.cpu_temp_c is not None and system.cpu_temp_c >= HOT_C:
            out.append(HealthWarning("hot", "warn", "处理器温度过高", f"CPU is hot ({system.cpu_temp_c:.0f} °C)"))
        if system.under_voltage_now:
            out.append(HealthWarning("voltage", "bad", "电源电压不足", "Under-voltage: use the official power supply"))
        if system.throttled_now:
            out.append(HealthWarning("throttled", "warn", "处理器正在降频", "The CPU is being throttled"))
        if system.clock_synchronised is False:
            out.append(HealthWarning("clock", "warn", "系统时间未同步", "The clock is not synchronised"))
        if system.memory_available_mb is not None and system.memory_available_mb < LOW_MEMORY_MB:
            out.append(HealthWarning("memory", "warn", "内存不足", "Memory is nearly exhausted"))
        if queue.quarantined:
            out.append(
                HealthWarning("quarantined", "warn", "有照片上传被搁置", f"{queue.quarantined} upload(s) quarantined")
            )
        if queue.rebuilt and wall_age(queue.rebuilt.get("at")) < REBUILT_WARN_S:
            r = queue.rebuilt
            out.append(
                HealthWarning(
                    "queue_rebuilt",
                    "warn",
                    "上传队列数据库曾损坏，已从照片文件重建",
                    f"The upload queue database was damaged and rebuilt: {r.get('requeued')} photos queued again;"
                    f" the damaged copy is {r.get('moved_to')} (see docs/upload-queue.md)",
                )
            )
        if queue.uploader_state == "storage-error":
            out.append(
                HealthWarning("uploader", "bad", "上传程序无法写入队列（磁盘已满？）", f"Uploader: {queue.uploader}")
            )
        elif queue.uploader_state == "centre-unreachable":
            out.append(HealthWarning("uploader", "warn", "上传中心暂时无法连接", f"Uploader: {queue.uploader}"))
        if queue.oldest_pending_age_s is not None and queue.oldest_pending_age_s > OLD_PENDING_S:
            out.append(
                HealthWarning("queue_old", "warn", "照片等待上传超过一小时", "Photos waiting over an hour to upload")
            )
        return out


REBUILT_WARN_S = 7 * 86400.0  # how long staff see that the queue was rebuilt


def wall_age(at: object) -> float:
    """Seconds since the wall-clock time ``at`` (infinite when unknown)."""
    import time

    return time.time() - at if isinstance(at, int | float) else float("inf")


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
