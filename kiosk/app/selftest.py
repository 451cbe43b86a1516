"""The booth's self-test: is every part a student depends on working, and if not, what to do about it.

Run by the technician after installing (``kiosk selftest``), by the installer before it starts the
services, and on the first morning of a booth day. Each check is a small function that gets what it
tests handed in (a camera factory, a lights factory, a command runner...), so tests can make any
check fail, and returns one ``CheckResult``: ok, fail or skip, one line of detail, and for a failure
a hint a technician can act on. The self-test never writes into the data folder, except for a probe
file it deletes at once when the upload target is a folder there.

The booth must not be running at the same time: it holds the camera and the GPIO pins.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import numpy as np

from kiosk.core.config import Config, LightScene, LightsSection
from kiosk.ops.logs import mask_identity
from kiosk.ops.probes import (
    MODEL_FILES,
    Runner,
    probe_centre,
    probe_clock,
    probe_disk_free,
    probe_models,
    probe_writable,
)
from kiosk.ops.probes.centre import Head, head_status

STOP_THE_BOOTH = "stop the booth first (sudo systemctl stop kiosk): it holds the camera and the pins"
NUMPY_TRAP_HINT = (
    "a numpy 2 in the virtual environment hides the OS's numpy 1.24 that the OS's simplejpeg (used by "
    "picamera2) was built against: /opt/kiosk/venv/bin/pip install 'numpy<2' "
    "(docs/troubleshooting.md, 'The numpy trap')"
)
_NUMPY_TRAP_SIGNS = (
    "numpy.dtype size changed",
    "binary incompatibility",
    "_ARRAY_API not found",
    "numpy.core.multiarray failed to import",
    "compiled using NumPy 1.x cannot be run",
)
SELFTEST_QR_TEXT = "KIOSK-SELFTEST-0123456789"
DARK_MEAN = 3.0  # a mean brightness below this (of 255) is a black picture


class Status(StrEnum):
    OK = "ok"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome: ``detail`` says what was found, ``hint`` what to do about a failure."""

    name: str
    status: Status
    detail: str
    hint: str = ""
    seconds: float = 0.0
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status is Status.FAIL

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status.value,
            "detail": self.detail,
            "hint": self.hint,
            "seconds": round(self.seconds, 3),
            "data": self.data,
        }


def ok(name: str, detail: str, **data: Any) -> CheckResult:
    return CheckResult(name, Status.OK, detail, data=data)


def fail(name: str, detail: str, hint: str, **data: Any) -> CheckResult:
    return CheckResult(name, Status.FAIL, detail, hint, data=data)


def skip(name: str, detail: str, **data: Any) -> CheckResult:
    return CheckResult(name, Status.SKIP, detail, data=data)


@dataclass(frozen=True)
class Report:
    kiosk_id: str
    results: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        return not any(r.failed for r in self.results)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "kiosk_id": self.kiosk_id, "checks": [r.to_dict() for r in self.results]}


Check = tuple[str, Callable[[], CheckResult]]


def run_checks(
    kiosk_id: str,
    checks: Iterable[Check],
    on_result: Callable[[CheckResult], None] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Report:
    """Run each check, timing it; a check that raises is reported as failed, never as a traceback.

    ``on_result`` sees each result as soon as it is known, so a person watching sees progress.
    """
    results = []
    for name, check in checks:
        started = clock()
        try:
            result = check()
        except Exception as exc:
            result = fail(name, f"unexpected error: {_describe(exc)}", "run again with -v and report the output")
        result = _with_seconds(result, clock() - started)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return Report(kiosk_id, tuple(results))


def _with_seconds(result: CheckResult, seconds: float) -> CheckResult:
    return CheckResult(result.name, result.status, result.detail, result.hint, seconds, result.data)


# -- camera --------------------------------------------------------------------------------------


class CameraLike(Protocol):
    def start(self) -> None: ...
    def preview_frame(self) -> np.ndarray: ...
    def capture_still(self) -> np.ndarray: ...
    def close(self) -> None: ...


def numpy_trap(exc: BaseException) -> bool:
    """Whether ``exc`` is the numpy ABI mismatch between the venv's numpy and the OS's extensions."""
    text = f"{exc} {exc.__cause__ or ''}"
    return any(sign in text for sign in _NUMPY_TRAP_SIGNS)


def picamera2_problem(import_module: Callable[[str], ModuleType] = importlib.import_module) -> CheckResult | None:
    """A failed result when picamera2 cannot be imported here, else None."""
    try:
        import_module("picamera2")
    except Exception as exc:
        if numpy_trap(exc):
            return fail("camera", f"picamera2 cannot be imported: {_describe(exc)}", NUMPY_TRAP_HINT)
        return fail(
            "camera",
            f"picamera2 cannot be imported: {_describe(exc)}",
            "sudo apt install python3-picamera2; the virtual environment must be made with "
            "--system-site-packages (include-system-site-packages = true in /opt/kiosk/venv/pyvenv.cfg)",
        )
    return None


def camera_hint(source: str) -> str:
    if source == "picamera2":
        return (
            "check the ribbon cable (both ends, contacts the right way round) and that "
            "'rpicam-hello --list-cameras' lists the camera; " + STOP_THE_BOOTH
        )
    if source.startswith("opencv:"):
        return "check the USB cable and 'v4l2-ctl --list-devices'; the kiosk user needs the video group; " + (
            STOP_THE_BOOTH
        )
    return "camera.replay_dir must name a folder of images or a video file"


def check_camera(
    open_camera: Callable[[], CameraLike],
    source: str,
    frames: int = 5,
    import_module: Callable[[str], ModuleType] = importlib.import_module,
) -> CheckResult:
    """Open the configured camera, take preview frames and one still: sizes and mean brightness.

    The last of ``frames`` preview frames is measured, because a camera module's automatic exposure
    needs a few frames to settle. For the Pi camera, picamera2 is imported first, on its own, so the
    well-known numpy mismatch is named as such rather than as a camera fault.
    """
    if source == "picamera2":
        problem = picamera2_problem(import_module)
        if problem is not None:
            return problem
    camera: CameraLike | None = None
    try:
        camera = open_camera()
        camera.start()
        frame = camera.preview_frame()
        for _ in range(max(0, frames - 1)):
            frame = camera.preview_frame()
        still = camera.capture_still()
    except Exception as exc:
        hint = NUMPY_TRAP_HINT if numpy_trap(exc) else camera_hint(source)
        return fail("camera", f"{source}: no picture: {_describe(exc)}", hint)
    finally:
        if camera is not None:
            _close_quietly(camera)
    brightness = float(np.asarray(frame, dtype=np.float32).mean())
    preview_size = [int(frame.shape[1]), int(frame.shape[0])]
    still_size = [int(still.shape[1]), int(still.shape[0])]
    detail = (
        f"{source}: preview {preview_size[0]}x{preview_size[1]}, still {still_size[0]}x{still_size[1]}, "
        f"mean brightness {brightness:.0f}/255"
    )
    data = {
        "source": source,
        "preview_size": preview_size,
        "still_size": still_size,
        "brightness": round(brightness, 1),
    }
    if brightness < DARK_MEAN:
        return fail(
            "camera",
            detail + " (the picture is black)",
            "camera.replay_dir is empty or its pictures are black"
            if source == "replay"
            else "lens cap on, or the lens covered? Check the lights and the lens's aperture and focus rings",
            **data,
        )
    return ok("camera", detail, **data)


# -- lights ----------------------------------------------------------------------------------------


class LightsLike(Protocol):
    def set_scene(self, name: str) -> None: ...
    def levels(self) -> dict[str, float]: ...
    def beep(self, seconds: float = 0.1) -> None: ...
    def off(self) -> None: ...
    def close(self) -> None: ...


CHANNELS = ("key_light", "fill_light", "background_light")


def channel_scenes() -> tuple[LightsSection, list[tuple[str, str, float]]]:
    """Light scenes that each drive one channel, and the (scene, channel, level) steps to take.

    Each light is driven at half power (the PWM path) and at full power (the steady path) while the
    other two stay dark, so a swapped wire or a dead channel shows up as a wrong read-back.
    """
    steps = [
        ("idle", "key_light", 0.5),
        ("confirm", "fill_light", 0.5),
        ("pose", "background_light", 0.5),
        ("countdown", "key_light", 1.0),
        ("capture", "fill_light", 1.0),
        ("analyse", "background_light", 1.0),
    ]
    scenes: dict[str, LightScene] = {}
    for scene, channel, level in steps:
        scenes[scene] = LightScene(
            key=level if channel == "key_light" else 0.0,
            fill=level if channel == "fill_light" else 0.0,
            background=level if channel == "background_light" else 0.0,
        )
    dark = LightScene(0.0, 0.0, 0.0)
    return LightsSection(**scenes, review=dark, done=dark, paused=dark), steps


def check_lights(
    make_lights: Callable[[LightsSection], LightsLike],
    hold_s: float = 0.4,
    tolerance: float = 0.02,
    sleep: Callable[[float], None] = time.sleep,
) -> CheckResult:
    """Cycle each light through half and full power and read every level back from the pins.

    ``hold_s`` keeps each step on long enough for the person at the booth to see the lights take turns.
    The status LED must read steady on throughout, and everything must read off at the end.
    """
    scenes, steps = channel_scenes()
    try:
        lights = make_lights(scenes)
    except Exception as exc:
        return fail("lights", f"cannot drive the light pins: {_describe(exc)}", _gpio_hint(exc))
    problems: list[str] = []
    try:
        for scene, channel, level in steps:
            lights.set_scene(scene)
            sleep(hold_s)
            read = lights.levels()
            for name in CHANNELS:
                want = level if name == channel else 0.0
                got = float(read.get(name, float("nan")))
                if not abs(got - want) <= tolerance:
                    problems.append(f"{name} reads {got:.2f} with {channel} at {level:g} (expected {want:g})")
            if read.get("status_led", 0.0) < 1.0 - tolerance:
                problems.append(f"status_led reads {read.get('status_led', 0.0):.2f} (expected 1)")
        lights.beep(0.15)
        sleep(hold_s)
        lights.off()
        left_on = {name: v for name, v in lights.levels().items() if v > tolerance}
        if left_on:
            problems.append("still on after off(): " + ", ".join(f"{k} {v:.2f}" for k, v in left_on.items()))
    except Exception as exc:
        problems.append(f"unexpected error: {_describe(exc)}")
    finally:
        _close_quietly(lights)
    if problems:
        return fail(
            "lights",
            "; ".join(problems[:3]) + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""),
            "check gpio.pins in the config against docs/wiring.md and the light board's connections",
            problems=problems,
        )
    return ok("lights", "key, fill and background each read back at half and full power; buzzer beeped")


# -- button ----------------------------------------------------------------------------------------


class ButtonLike(Protocol):
    @property
    def is_pressed(self) -> bool: ...
    def close(self) -> None: ...


def check_button(
    make_button: Callable[[Callable[[], None]], ButtonLike],
    wait_s: float,
    prompt: Callable[[str], None],
) -> CheckResult:
    """Wait up to ``wait_s`` for one press of the big button; skipped when ``wait_s`` is 0."""
    if wait_s <= 0:
        return skip("button", "not tested (pass --button-wait 10 and press the button when asked)")
    pressed = threading.Event()
    try:
        button = make_button(pressed.set)
    except Exception as exc:
        return fail("button", f"cannot read the button pin: {_describe(exc)}", _gpio_hint(exc))
    try:
        if button.is_pressed:
            return fail(
                "button",
                "the button reads pressed before anyone touched it",
                "the button must connect its pin to ground when pressed (normally open); check for a short",
            )
        prompt(f"press the big button within {wait_s:g} s ...")
        if pressed.wait(wait_s):
            return ok("button", "press received")
        return fail(
            "button",
            f"no press within {wait_s:g} s",
            "check the button's two wires: its GPIO pin (gpio.pins.button, docs/wiring.md) and ground",
        )
    finally:
        _close_quietly(button)


# -- QR reader -------------------------------------------------------------------------------------


class QrReaderLike(Protocol):
    def read(self, frame: np.ndarray) -> Any: ...


def check_qr(reader: QrReaderLike, image: np.ndarray | None = None, label: str = "") -> CheckResult:
    """Decode a capture code from ``image``, or a phone screen drawn with a known code when None.

    The code's text is never shown: a capture code is a credential. Only its masked form is.
    """
    expected: str | None = None
    if image is None:
        from kiosk.codes.phone_screen import render_phone

        expected = SELFTEST_QR_TEXT
        image = render_phone(expected)
        label = "a drawn phone screen"
    texts = _texts(reader.read(image))
    if expected is not None:
        if expected in texts:
            return ok("qr", f"read the test code from {label}")
        return fail(
            "qr",
            f"the test code on {label} was not read (found {len(texts)} code(s))",
            "the QR libraries may be broken: reinstall with /opt/kiosk/venv/bin/pip install --force-reinstall "
            "zxing-cpp, and sudo apt install libzbar0",
        )
    if texts:
        shown = ", ".join(mask_identity(t)[:48] for t in texts)
        return ok("qr", f"read {len(texts)} code(s) from {label}: {shown}", count=len(texts))
    return fail(
        "qr",
        f"no code found in {label}",
        "use a sharp, evenly lit picture of the code; phone screens need full brightness",
    )


def _texts(result: Any) -> list[str]:
    """The decoded texts, whatever shape the reader returns (a string, strings, or objects with .text)."""
    if result is None:
        return []
    if isinstance(result, str):
        return [result]
    texts = []
    for item in result:
        text = item if isinstance(item, str) else getattr(item, "text", None)
        if isinstance(text, str):
            texts.append(text)
    return texts


# -- models ----------------------------------------------------------------------------------------


class ModelLike(Protocol):
    @property
    def input_shape(self) -> tuple[int, ...]: ...
    def run(self, tensor: np.ndarray) -> list[np.ndarray]: ...


def load_tflite(path: Path) -> ModelLike:
    """The booth's own model loader, imported only when the check runs (it pulls in the TFLite runtime)."""
    interpreter = importlib.import_module("kiosk.vision.interpreter")
    model: ModelLike = interpreter.TfliteModel(path)
    return model


def check_models(
    models_dir: Path,
    load_model: Callable[[Path], ModelLike] = load_tflite,
    names: Sequence[str] = MODEL_FILES,
    clock: Callable[[], float] = time.perf_counter,
) -> CheckResult:
    """Check each face model the compliance check uses against its checksum, load it, and time one
    inference on a blank input."""
    files = probe_models(models_dir, names)
    if files.value.missing:
        return fail(
            "models",
            files.detail,
            "the models ship inside the kiosk package: reinstall it (sudo systemd/install.sh), or unset "
            "$KIOSK_MODELS_DIR if it points elsewhere",
        )
    if files.failed:
        return fail(
            "models",
            files.detail,
            "the file is damaged or was replaced: reinstall the kiosk package (sudo systemd/install.sh); a model "
            "of your own needs its line in SHA256SUMS next to it (models/README.md)",
        )
    load_ms: dict[str, float] = {}
    run_ms: dict[str, float] = {}
    for name in names:
        path = models_dir / name
        try:
            started = clock()
            model = load_model(path)
            loaded = clock()
            model.run(np.zeros(model.input_shape, dtype=np.float32))
        except ImportError as exc:
            return fail(
                "models",
                f"the model code is missing from this install: {_describe(exc)}",
                "reinstall the kiosk package (sudo systemd/install.sh) so kiosk.vision is complete",
            )
        except Exception as exc:
            return fail("models", f"{path.name}: {_describe(exc)}", _model_hint(exc, path))
        load_ms[path.stem] = round((loaded - started) * 1000, 1)
        run_ms[path.stem] = round((clock() - loaded) * 1000, 1)
    shown = ", ".join(f"{name} {ms:g} ms" for name, ms in run_ms.items())
    detail = f"one inference each: {shown}" + ("" if files.ok else f"; {files.detail}")
    return ok("models", detail, load_ms=load_ms, run_ms=run_ms, checksums=files.level.value)


def _model_hint(exc: BaseException, path: Path) -> str:
    if numpy_trap(exc):
        return NUMPY_TRAP_HINT
    if "runtime" in str(exc).lower():
        return "install the TFLite runtime: /opt/kiosk/venv/bin/pip install ai-edge-litert"
    return f"the model file {path} may be damaged: reinstall the kiosk package (sudo systemd/install.sh)"


# -- disk, clock -----------------------------------------------------------------------------------


def check_disk(
    data_dir: Path,
    min_free_mb: int,
    disk_usage: Callable[[Path], Any] = shutil.disk_usage,
    writable: Callable[[Path], bool] | None = None,
) -> CheckResult:
    """Free space where the data folder lives, against the watermark below which the booth pauses."""
    space = probe_disk_free(data_dir, min_free_mb, disk_usage)
    free_mb = None if space.value is None else int(space.value.free_bytes // (1024 * 1024))
    data = {"free_mb": free_mb, "min_free_mb": min_free_mb, "path": str(data_dir)}
    access = probe_writable(data_dir, writable)
    if access.failed:
        return fail(
            "disk",
            access.detail,
            "run the self-test as the kiosk user (sudo -u kiosk ...); the data folder belongs to kiosk, mode 0700",
            **data,
        )
    if space.failed:
        return fail(
            "disk",
            space.detail,
            "make room: check that the uploader runs (journalctl -u kiosk-uploader), lower upload.retention_days, "
            "or use a bigger SD card",
            **data,
        )
    return ok("disk", space.detail, **data)


def check_clock(
    run: Runner | None = None,
    now: Callable[[], datetime] = lambda: datetime.now().astimezone(),
) -> CheckResult:
    """Whether the clock is synchronised: capture codes carry their issue time and are checked against it.

    ``run`` answers for ``timedatectl`` (the real command unless a test says otherwise).
    """
    stamp = now().isoformat(timespec="seconds")
    synced = probe_clock(run, timeout_s=5.0)
    if synced.value is None:
        return skip("clock", f"{synced.detail}; the clock says {stamp}")
    if synced.ok:
        return ok("clock", f"{synced.detail}; {stamp}")
    return fail(
        "clock",
        f"{synced.detail}; the clock says {stamp}",
        "connect the booth to a network with internet (or an NTP server) and wait a minute; offline booths "
        "need a battery-backed clock (Pi 5: an RTC battery) set once with 'sudo timedatectl set-time'",
    )


# -- upload target ---------------------------------------------------------------------------------


def check_upload(
    config: Config,
    probe: Head = head_status,
    has_module: Callable[[str], bool] = lambda name: importlib.util.find_spec(name) is not None,
    timeout_s: float = 5.0,
) -> CheckResult:
    """Whether the upload target can be reached: a folder must be writable, a server must answer."""
    url = config.upload_target
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "dir":
        return _check_folder_target(Path(unquote(parts.path)), config.data_dir / "upload")
    if scheme in ("http", "https"):
        return _check_server(url, probe, timeout_s, config)
    if scheme == "s3":
        if not has_module("boto3"):
            return skip("upload", f"{url}: not checked, boto3 is not installed (/opt/kiosk/venv/bin/pip install boto3)")
        region = config.upload.s3_region or "us-east-1"
        endpoint = config.upload.s3_endpoint_url or f"https://s3.{region}.amazonaws.com"
        result = _check_server(endpoint, probe, timeout_s, config, "upload.s3_endpoint_url")
        if result.failed:
            return result
        return ok("upload", f"{url}: endpoint {endpoint} answers (credentials are checked by the first upload)")
    return fail("upload", f"unknown upload target {url!r}", "see [upload] target in kiosk.example.toml")


def _check_folder_target(folder: Path, default: Path) -> CheckResult:
    if not folder.is_dir():
        if folder == default:
            return ok("upload", f"{folder}: made on first use (the default folder inside the data folder)")
        return fail(
            "upload",
            f"{folder} does not exist",
            "is the USB stick plugged in and mounted there? The uploader only writes into an existing folder",
        )
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".kiosk-selftest-"):
            pass
    except OSError as exc:
        return fail(
            "upload",
            f"{folder} is not writable: {exc.strerror or exc}",
            "the kiosk user must be able to write there (mount option uid=kiosk for a FAT stick; "
            "ReadWritePaths= in 'systemctl edit kiosk-uploader')",
        )
    return ok("upload", f"{folder} is writable")


def _check_server(url: str, head: Head, timeout_s: float, config: Config, option: str = "upload.target") -> CheckResult:
    """Ask the server through the uploader's own connection (``kiosk.ops.probes.probe_centre``)."""
    reached = probe_centre(url, config.upload, timeout_s, head, option)
    answer = reached.value
    if answer.http_status is None:
        hint = "check the network cable or Wi-Fi, DNS, and the address in [upload] target"
        if answer.refused_by_config:
            hint = "the uploader refuses this too: see [upload] in kiosk.example.toml"
        elif answer.tls_refused:
            hint = "the centre's TLS certificate is not trusted: set upload.ca_file to the CA that signs it"
        return fail("upload", reached.detail, hint)
    if reached.failed:
        return fail(
            "upload",
            reached.detail,
            "the centre's server reports an error: tell the centre; photos wait safely in the queue",
        )
    return ok("upload", reached.detail, http_status=answer.http_status)


# -- helpers ---------------------------------------------------------------------------------------


def _gpio_hint(exc: BaseException) -> str:
    text = str(exc).lower()
    if "busy" in text:
        return STOP_THE_BOOTH
    if "permission" in text or "denied" in text:
        return "the kiosk user needs the gpio group: sudo usermod -aG gpio kiosk, then log in again"
    if "missing" in text or "no module" in text:
        return "sudo apt install python3-lgpio; the virtual environment must be made with --system-site-packages"
    return "check gpio.pin_factory in the config ('lgpio' on Raspberry Pi OS Bookworm, needs python3-lgpio)"


def _describe(exc: BaseException | object) -> str:
    if not isinstance(exc, BaseException):
        return str(exc)
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _close_quietly(thing: Any) -> None:
    """Close ``thing``; the check already has its answer, and a failing close must not replace it."""
    with contextlib.suppress(Exception):
        thing.close()


# -- the report, for people ------------------------------------------------------------------------

NAME_WIDTH = 11  # the longest check name, "credentials"
_MARKS = {Status.OK: "ok", Status.FAIL: "FAIL", Status.SKIP: "skip"}


def format_result(result: CheckResult) -> str:
    """One table row (and a hint row under a failure): ``  FAIL  lights  fill_light reads 0.00 ...``."""
    row = f"  {_MARKS[result.status]:<5} {result.name:<{NAME_WIDTH}}  {result.detail}  ({result.seconds:.1f} s)"
    if result.hint:
        row += f"\n  {'':<5} {'':<{NAME_WIDTH}}  hint: {result.hint}"
    return row


def format_summary(report: Report) -> str:
    failed = sum(r.failed for r in report.results)
    return "all checks passed" if failed == 0 else f"{failed} check(s) failed"


def format_table(report: Report) -> str:
    """The whole report as the ok/FAIL table, with a summary line."""
    return "\n".join([*(format_result(r) for r in report.results), "", format_summary(report)])


# -- the booth's own parts ---------------------------------------------------------------------------

CHECK_NAMES = (
    "camera",
    "lights",
    "button",
    "qr",
    "models",
    "keyring",
    "centre_key",
    "credentials",
    "staff",
    "calibration",
    "disk",
    "clock",
    "upload",
)
# What decides whether the booth (or its uploader) can serve at all, read from files only, never from
# the camera or the pins: the checks ``kiosk selftest --gate`` runs before systemd starts a service.
GATE_CHECKS = {
    "booth": frozenset({"models", "keyring", "centre_key", "staff", "disk"}),
    "uploader": frozenset({"credentials"}),
}


@dataclass(frozen=True)
class SelftestOptions:
    """What the command line chose: how long to wait for the button, which QR picture, what to skip."""

    button_wait_s: float = 0.0
    qr_image: np.ndarray | None = None
    qr_label: str = ""
    models_dir: Path | None = None
    light_hold_s: float | None = None  # None: 0.4 s on real pins, 0 on the simulated ones
    skip: frozenset[str] = frozenset()
    gate: str | None = None  # "booth" or "uploader": only GATE_CHECKS[gate]


class PinFactory:
    """The configured GPIO pin factory, made on first use and shared by the lights and button checks.

    Made lazily so a missing GPIO library fails exactly the checks that need pins, with the reason.
    """

    def __init__(self, name: str, make: Callable[[str], Any] | None = None) -> None:
        self.name = name
        self._make = make
        self._factory: Any = None
        self._error: Exception | None = None

    def get(self) -> Any:
        if self._error is not None:
            raise self._error
        if self._factory is None:
            make = self._make
            if make is None:
                from kiosk.hw.gpio import make_pin_factory

                make = make_pin_factory
            try:
                self._factory = make(self.name)
            except Exception as exc:
                self._error = exc
                raise
        return self._factory

    def close(self) -> None:
        factory, self._factory = self._factory, None
        if factory is not None:
            _close_quietly(factory)

    def __enter__(self) -> PinFactory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def default_checks(
    config: Config, options: SelftestOptions, pins: PinFactory, prompt: Callable[[str], None]
) -> list[Check]:
    """The checks for this booth's configuration, built from the same parts the booth itself uses."""
    from kiosk.app import readiness
    from kiosk.hw.button import BoothButton
    from kiosk.hw.factory import open_camera
    from kiosk.hw.lights import Lights
    from kiosk.hw.replay import ReplayCamera

    hold_s = options.light_hold_s
    if hold_s is None:
        hold_s = 0.0 if config.gpio.pin_factory == "mock" else 0.4

    def make_lights(scenes: LightsSection) -> LightsLike:
        return Lights(config.gpio.pins, scenes, pins.get())

    def make_button(on_press: Callable[[], None]) -> ButtonLike:
        return BoothButton(config.gpio.pins.button, pins.get(), config.gpio.button_bounce_s, on_press)

    def qr() -> CheckResult:
        from kiosk.codes.qr import QrReader

        return check_qr(QrReader(), options.qr_image, options.qr_label)

    from kiosk.vision.model_dir import models_dir as find_models_dir

    def camera() -> CameraLike:
        opened = open_camera(config.camera, config.data_dir)
        if isinstance(opened, ReplayCamera) and not config.camera.replay_dir:
            # kiosk.example.toml: an empty replay_dir means the built-in scene, as the booth plays it.
            from kiosk.demo.director import synthetic_scene

            opened.show([synthetic_scene()])
        return opened

    models_dir = find_models_dir(options.models_dir)
    checks: list[Check] = [
        ("camera", lambda: check_camera(camera, config.camera.source)),
        ("lights", lambda: check_lights(make_lights, hold_s)),
        ("button", lambda: check_button(make_button, options.button_wait_s, prompt)),
        ("qr", qr),
        ("models", lambda: check_models(models_dir)),
        ("keyring", lambda: readiness.check_keyring(config)),
        ("centre_key", lambda: readiness.check_centre_key(config)),
        ("credentials", lambda: readiness.check_credentials(config)),
        ("staff", lambda: readiness.check_staff_password(config)),
        ("calibration", lambda: readiness.check_calibration(config)),
        ("disk", lambda: check_disk(config.data_dir, config.upload.min_free_mb)),
        ("clock", lambda: check_clock()),
        ("upload", lambda: check_upload(config)),
    ]
    wanted = GATE_CHECKS[options.gate] if options.gate else frozenset(CHECK_NAMES)
    return [(name, check) for name, check in checks if name in wanted and name not in options.skip]


__all__ = [
    "CHECK_NAMES",
    "CheckResult",
    "PinFactory",
    "SelftestOptions",
    "Report",
    "Status",
    "check_button",
    "check_camera",
    "check_clock",
    "check_disk",
    "check_lights",
    "check_models",
    "check_qr",
    "check_upload",
    "default_checks",
    "format_result",
    "format_table",
    "run_checks",
]
