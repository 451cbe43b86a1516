"""The self-test's checks of the booth's own parts: camera, lights, button, QR reader, face models.

Each check gets what it tests handed in (a camera factory, a lights factory, a model loader...), so
tests can make any check fail. The booth must not be running at the same time: it holds the camera and
the GPIO pins.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import numpy as np

from kiosk.app.checks import CheckResult, close_quietly, describe, fail, ok, skip
from kiosk.core.config import LightScene, LightsSection
from kiosk.ops.logs import mask_identity
from kiosk.ops.probes import MODEL_FILES, probe_models

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
            return fail("camera", f"picamera2 cannot be imported: {describe(exc)}", NUMPY_TRAP_HINT)
        return fail(
            "camera",
            f"picamera2 cannot be imported: {describe(exc)}",
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
        return fail("camera", f"{source}: no picture: {describe(exc)}", hint)
    finally:
        if camera is not None:
            close_quietly(camera)
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
        return fail("lights", f"cannot drive the light pins: {describe(exc)}", _gpio_hint(exc))
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
        problems.append(f"unexpected error: {describe(exc)}")
    finally:
        close_quietly(lights)
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
        return fail("button", f"cannot read the button pin: {describe(exc)}", _gpio_hint(exc))
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
        close_quietly(button)


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
                f"the model code is missing from this install: {describe(exc)}",
                "reinstall the kiosk package (sudo systemd/install.sh) so kiosk.vision is complete",
            )
        except Exception as exc:
            return fail("models", f"{path.name}: {describe(exc)}", _model_hint(exc, path))
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


# -- pins ------------------------------------------------------------------------------------------


def _gpio_hint(exc: BaseException) -> str:
    text = str(exc).lower()
    if "busy" in text:
        return STOP_THE_BOOTH
    if "permission" in text or "denied" in text:
        return "the kiosk user needs the gpio group: sudo usermod -aG gpio kiosk, then log in again"
    if "missing" in text or "no module" in text:
        return "sudo apt install python3-lgpio; the virtual environment must be made with --system-site-packages"
    return "check gpio.pin_factory in the config ('lgpio' on Raspberry Pi OS Bookworm, needs python3-lgpio)"


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
            close_quietly(factory)

    def __enter__(self) -> PinFactory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
