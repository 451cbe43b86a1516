"""Configuration: one TOML file, validated at start-up into frozen dataclasses.

Every option has a default that serves a laptop (replay camera, mock GPIO, local folders), so the booth
starts with no file at all. A typo or a bad value stops start-up with one line naming the key and what
was expected: ``ConfigError("camera.preview_fps: expected an integer from 1 to 60, got 'fast'")``.
Every option is documented in ``kiosk.example.toml``; a test keeps the two in step.
"""

from __future__ import annotations

import logging
import tomllib
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

import platformdirs

log = logging.getLogger(__name__)


class ConfigError(ValueError):
    """A configuration problem, phrased as one line for the technician."""


def _check(fn: Callable[[Any], bool], expected: str) -> dict[str, Any]:
    return {"check": fn, "expected": expected}


def _range(lo: float, hi: float) -> dict[str, Any]:
    return _check(lambda v: lo <= v <= hi, f"a number from {lo:g} to {hi:g}")


def _one_of(*choices: str) -> dict[str, Any]:
    return _check(lambda v: v in choices, "one of " + ", ".join(repr(c) for c in choices))


def _camera_source_ok(v: str) -> bool:
    if v in ("picamera2", "replay"):
        return True
    if v.startswith("opencv:"):
        rest = v.removeprefix("opencv:")
        return rest.isdigit() or rest.startswith("/")
    return False


_PIN = _check(lambda v: 0 <= v <= 27, "a BCM GPIO number from 0 to 27")


@dataclass(frozen=True)
class KioskSection:
    id: str = field(default="booth-01", metadata=_check(lambda v: 0 < len(v) <= 40, "1 to 40 characters"))
    data_dir: str = ""
    language: str = field(default="zh", metadata=_one_of("zh", "en"))


@dataclass(frozen=True)
class CameraSection:
    source: str = field(
        default="replay",
        metadata=_check(_camera_source_ok, "'picamera2', 'replay', 'opencv:<index>' or 'opencv:/dev/videoN'"),
    )
    replay_dir: str = ""
    preview_size: tuple[int, int] = (1280, 720)
    still_size: tuple[int, int] = (4056, 3040)
    # A larger stream the camera delivers beside the preview, read only when a code is seen but not
    # read in the preview (picamera2 main + lores, replay); [0, 0] turns it off.
    detail_size: tuple[int, int] = (1920, 1080)
    preview_fps: int = field(default=15, metadata=_range(1, 60))
    stall_timeout_s: float = field(default=3.0, metadata=_range(0.5, 60))


@dataclass(frozen=True)
class PinsSection:
    key_light: int = field(default=12, metadata=_PIN)
    fill_light: int = field(default=13, metadata=_PIN)
    background_light: int = field(default=18, metadata=_PIN)
    status_led: int = field(default=23, metadata=_PIN)
    buzzer: int = field(default=24, metadata=_PIN)
    button: int = field(default=17, metadata=_PIN)


@dataclass(frozen=True)
class GpioSection:
    pin_factory: str = field(default="mock", metadata=_one_of("mock", "lgpio", "rpigpio", "pigpio", "native"))
    pins: PinsSection = PinsSection()
    button_bounce_s: float = field(default=0.05, metadata=_range(0, 1))


@dataclass(frozen=True)
class LightScene:
    key: float = field(default=0.0, metadata=_range(0, 1))
    fill: float = field(default=0.0, metadata=_range(0, 1))
    background: float = field(default=0.0, metadata=_range(0, 1))


@dataclass(frozen=True)
class LightsSection:
    """Brightness of the three lights in each booth state (0 = off, 1 = full)."""

    idle: LightScene = LightScene(0.15, 0.15, 0.3)
    confirm: LightScene = LightScene(0.3, 0.3, 0.6)
    pose: LightScene = LightScene(0.8, 0.6, 1.0)
    countdown: LightScene = LightScene(1.0, 0.7, 1.0)
    capture: LightScene = LightScene(1.0, 0.7, 1.0)
    analyse: LightScene = LightScene(0.3, 0.3, 0.6)
    review: LightScene = LightScene(0.3, 0.3, 0.6)
    done: LightScene = LightScene(0.15, 0.15, 0.3)
    paused: LightScene = LightScene(0.0, 0.0, 0.0)


@dataclass(frozen=True)
class BoothSection:
    countdown_s: int = field(default=3, metadata=_range(1, 10))
    # The shutter takes a short burst; when the first still fails only on something a moment changes (a
    # blink, a half-spoken word, a twitch of the head), the next one is judged (booth/burst.py).
    burst_count: int = field(default=3, metadata=_range(1, 5))
    burst_gap_s: float = field(default=0.25, metadata=_range(0, 1))
    max_attempts: int = field(default=3, metadata=_range(1, 10))
    retake_after_accept: bool = False
    confirm_timeout_s: float = field(default=30, metadata=_range(5, 600))
    pose_timeout_s: float = field(default=60, metadata=_range(5, 600))
    review_timeout_s: float = field(default=45, metadata=_range(5, 600))
    done_timeout_s: float = field(default=6, metadata=_range(1, 120))
    notice_s: float = field(default=4, metadata=_range(1, 60))


@dataclass(frozen=True)
class CodesSection:
    keyring: str = ""
    decoders: tuple[str, ...] = ("xc1",)
    max_clock_skew_s: int = field(default=600, metadata=_range(0, 86400))
    max_code_age_days: float = field(default=30.0, metadata=_range(0.01, 3650))

    @property
    def max_age_s(self) -> float:
        return self.max_code_age_days * 86400


@dataclass(frozen=True)
class ComplianceSection:
    profile: str = "chsi"


@dataclass(frozen=True)
class UploadSection:
    target: str = ""
    centre_public_key: str = ""
    token: str = ""
    token_file: str = ""
    ca_file: str = ""
    verify_tls: bool = True
    timeout_s: float = field(default=30.0, metadata=_range(0.1, 600))
    s3_endpoint_url: str = ""
    s3_region: str = ""
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    # Ignored: the booth seals only the 480x640 photo. Kept so that config files that set it still load.
    include_original: bool = False
    retention_days: int = field(default=30, metadata=_range(0, 3650))
    min_free_mb: int = field(default=500, metadata=_range(0, 1_000_000))
    reserve_mb: int = field(default=32, metadata=_range(0, 10_000))
    backoff_min_s: float = field(default=5.0, metadata=_range(0.01, 3600))
    backoff_max_s: float = field(default=900.0, metadata=_range(0.01, 86400))
    slow_retry_s: float = field(default=1800.0, metadata=_range(0.01, 86400))
    poll_s: float = field(default=5.0, metadata=_range(0.05, 600))


@dataclass(frozen=True)
class WebSection:
    host: str = "127.0.0.1"
    port: int = field(default=8080, metadata=_range(1, 65535))
    threads: int = field(default=8, metadata=_range(4, 64))
    max_streams: int = field(default=2, metadata=_range(1, 16))


@dataclass(frozen=True)
class StaffSection:
    """The staff console: its own server, so it can listen on the campus network while the student
    page stays on 127.0.0.1."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = field(default=8081, metadata=_range(1, 65535))
    threads: int = field(default=4, metadata=_range(2, 32))
    session_minutes: float = field(default=30.0, metadata=_range(1, 1440))
    max_login_attempts: int = field(default=5, metadata=_range(1, 100))
    lockout_minutes: float = field(default=15.0, metadata=_range(1, 1440))
    secure_cookies: bool = False
    # The console speaks plain HTTP: beyond loopback it must sit behind a TLS reverse proxy, whose
    # forwarded address and scheme are then trusted (werkzeug's ProxyFix) from ``proxy_address`` only.
    proxy_hops: int = field(default=0, metadata=_range(0, 5))
    proxy_address: str = "127.0.0.1"


@dataclass(frozen=True)
class PrintingSection:
    """A CUPS printer for the 6-inch sheet (4 x 2-inch and 8 x 1-inch); empty: no printing offered."""

    printer: str = ""
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    kiosk: KioskSection = KioskSection()
    camera: CameraSection = CameraSection()
    gpio: GpioSection = GpioSection()
    lights: LightsSection = LightsSection()
    booth: BoothSection = BoothSection()
    codes: CodesSection = CodesSection()
    compliance: ComplianceSection = ComplianceSection()
    upload: UploadSection = UploadSection()
    web: WebSection = WebSection()
    staff: StaffSection = StaffSection()
    printing: PrintingSection = PrintingSection()

    @property
    def data_dir(self) -> Path:
        """Where the booth keeps its database, photos and keys."""
        if self.kiosk.data_dir:
            return Path(self.kiosk.data_dir).expanduser().absolute()
        return Path(platformdirs.user_data_dir("kiosk", appauthor=False))

    @property
    def keyring_path(self) -> Path:
        return Path(self.codes.keyring).expanduser() if self.codes.keyring else self.data_dir / "keyring.toml"

    @property
    def upload_target(self) -> str:
        return self.upload.target or (self.data_dir / "upload").as_uri().replace("file://", "dir://", 1)

    def with_data_dir(self, path: Path | str) -> Config:
        return replace(self, kiosk=replace(self.kiosk, data_dir=str(path)))


def load_config(path: Path | str | None = None, data_dir: Path | str | None = None) -> Config:
    """Read and validate ``path`` (or the defaults when None); ``data_dir`` overrides kiosk.data_dir."""
    raw: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such config file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read ({exc})") from None
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    config = _build(Config, raw, "")
    if config.upload.include_original:
        log.warning("upload.include_original is ignored: the booth seals only the 480x640 photo")
    if data_dir is not None:
        config = config.with_data_dir(data_dir)
    check_staff_listening(config.staff)
    return config


def is_loopback(host: str) -> bool:
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_staff_listening(staff: StaffSection) -> None:
    """Refuse a staff console on the network in plain HTTP: passwords and cookies would cross in clear,
    and every client would look alike behind a proxy that is not declared."""
    if staff.enabled and not is_loopback(staff.host) and staff.proxy_hops == 0:
        raise ConfigError(
            f"staff.host: {staff.host!r} reaches beyond this machine, but the console speaks plain HTTP; "
            "put a TLS reverse proxy in front and set staff.proxy_hops (and staff.proxy_address), "
            'or keep host = "127.0.0.1"'
        )


def _build(cls: type, raw: Any, prefix: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"{prefix.rstrip('.') or 'config'}: expected a table")
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in fields(cls)}
    for key in raw:
        if key not in known:
            where = f"{prefix}{key}"
            raise ConfigError(f"{where}: unknown option (expected one of: {', '.join(known)})")
    values: dict[str, Any] = {}
    for name, f in known.items():
        key = f"{prefix}{name}"
        if name not in raw:
            continue
        values[name] = _value(hints[name], raw[name], key, f.metadata)
    return cls(**values)


def _value(tp: Any, value: Any, key: str, meta: Any) -> Any:
    if isinstance(tp, type) and is_dataclass(tp):
        return _build(tp, value, key + ".")
    origin = typing.get_origin(tp)
    if origin is tuple:
        args = typing.get_args(tp)
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            items = [_scalar(args[0], v, key) for v in value]
        else:
            if len(value) != len(args):
                raise ConfigError(f"{key}: expected {len(args)} values, got {len(value)}")
            items = [_scalar(a, v, key) for a, v in zip(args, value, strict=True)]
        out = tuple(items)
    else:
        out = _scalar(tp, value, key)
    check = meta.get("check") if meta else None
    if check is not None and not check(out):
        raise ConfigError(f"{key}: expected {meta['expected']}, got {value!r}")
    return out


def _scalar(tp: Any, value: Any, key: str) -> Any:
    if isinstance(tp, types.UnionType):
        tp = typing.get_args(tp)[0]
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{key}: expected true or false, got {value!r}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(f"{key}: expected an integer, got {value!r}")
    if tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(f"{key}: expected a number, got {value!r}")
    if tp is str:
        if isinstance(value, str):
            return value
        raise ConfigError(f"{key}: expected a string, got {value!r}")
    raise ConfigError(f"{key}: unsupported option type")  # pragma: no cover - schema bug


def option_keys(cls: type = Config, prefix: str = "") -> list[str]:
    """Every dotted option name, for documentation checks."""
    keys: list[str] = []
    hints = typing.get_type_hints(cls)
    for f in fields(cls):
        tp = hints[f.name]
        if isinstance(tp, type) and is_dataclass(tp):
            keys.extend(option_keys(tp, f"{prefix}{f.name}."))
        else:
            keys.append(f"{prefix}{f.name}")
    return keys


__all__ = ["Config", "ConfigError", "load_config", "option_keys"]
