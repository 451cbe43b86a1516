"""The app factory's wiring: build every part of the booth from the config, and serve it.

This is the only place that knows which concrete camera, lights, checker and queue the booth uses;
everything else receives them as arguments.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.app.runtime import Runtime
from kiosk.booth import Booth, BoothSettings, ButtonPressed
from kiosk.booth.ports import CodeRejected, PhotoNotUsable
from kiosk.core.capture import SubjectInfo
from kiosk.core.clock import Clock, SystemClock
from kiosk.core.config import Config
from kiosk.core.errors import CliError
from kiosk.ops.notify import Notifier, Watchdog
from kiosk.output.photo import GeometryError, PhotoFormatter
from kiosk.staff.running import BoothParts
from kiosk.storage.records import BoothRecords
from kiosk.storage.reserve import MB, DiskReserve
from kiosk.vision.report import Message

log = logging.getLogger(__name__)


@dataclass
class CodeDecoderAdapter:
    """Turns the code reader's outcomes into what the booth shows; checks expiry on the wall clock."""

    reader: Any  # kiosk.codes.CodeReader
    clock: Clock

    def __call__(self, text: str) -> SubjectInfo:
        from kiosk.codes import CodeError

        try:
            return self.reader.decode(text, self.clock.wall().timestamp())
        except CodeError as exc:
            raise CodeRejected(exc.outcome.id, Message(exc.outcome.zh, exc.outcome.en)) from None


@dataclass
class FormatterAdapter:
    """The spec photo maker, with "cannot place the head" turned into a head_geometry failure."""

    formatter: PhotoFormatter

    def __call__(self, still: Any, report: Any) -> bytes:
        try:
            return self.formatter(still, report)
        except GeometryError as exc:
            raise PhotoNotUsable("head_geometry", Message(exc.message.zh, exc.message.en)) from None


class SerialisedChecker:
    """The checker shared by the booth thread (full checks) and the hint worker (live hints).

    TFLite interpreters must not run two inferences at once, so the two take turns.
    """

    def __init__(self, checker: Any) -> None:
        self._checker = checker
        self.lock = threading.Lock()  # also taken by anything else that runs the checker's models
        self.profile_name: str = checker.profile_name
        self.analyser = getattr(checker, "analyser", None)

    def check(self, image: Any) -> Any:
        with self.lock:
            return self._checker.check(image)

    def live_hints(self, frame: Any) -> list[Message]:
        with self.lock:
            return self._checker.live_hints(frame)

    def analyse(self, image: Any) -> Any:
        with self.lock:
            return self._checker.analyse(image)

    def apply_calibration(self, calibration: Any) -> None:
        with self.lock:
            self._checker.apply_calibration(calibration)


@dataclass
class HintReader:
    """Posing hints for one preview frame, as the frame worker expects: a list with one result."""

    checker: Any  # ComplianceChecker

    def read(self, frame: Any) -> list[tuple[Message, ...]]:
        return [tuple(self.checker.live_hints(frame))]


def prepare_data_dir(config: Config) -> Path:
    data = config.data_dir
    try:
        data.mkdir(parents=True, exist_ok=True)
        os.chmod(data, 0o700)
    except OSError as exc:
        raise CliError(f"data folder {data}: {exc.strerror or exc}") from None
    return data


def build_runtime(config: Config, clock: Clock | None = None, camera: Any = None) -> Runtime:
    """Everything the booth needs, not yet started. ``camera`` overrides the configured one (demo)."""
    from kiosk.codes import CodeConfigError, load_code_reader
    from kiosk.hw.button import BoothButton
    from kiosk.hw.factory import open_camera
    from kiosk.hw.gpio import GpioError, make_pin_factory
    from kiosk.hw.lights import Lights
    from kiosk.hw.supervisor import SupervisedCamera
    from kiosk.output.printing import CupsSheetPrinter
    from kiosk.queue.outbox import Outbox
    from kiosk.storage.sealing import KeyFileError
    from kiosk.vision.calibration import Calibration
    from kiosk.vision.checker import ComplianceChecker
    from kiosk.vision.interpreter import ModelError
    from kiosk.vision.profiles import ProfileError, load_profile

    clock = clock or SystemClock()
    data = prepare_data_dir(config)
    try:
        codes = config.codes
        reader = load_code_reader(codes.decoders, config.keyring_path, codes.max_clock_skew_s, codes.max_age_s)
    except CodeConfigError as exc:
        raise CliError(str(exc)) from None

    # A given camera (the demo's replay camera) is reopened as itself; a configured one is made anew.
    supervised = SupervisedCamera(
        (lambda: camera) if camera is not None else (lambda: open_camera(config.camera, data))
    )
    try:
        pin_factory = make_pin_factory(config.gpio.pin_factory)
        lights = Lights(config.gpio.pins, config.lights, pin_factory)
    except GpioError as exc:
        raise CliError(str(exc)) from None
    records = BoothRecords.open(data, clock)
    try:
        outbox = Outbox.from_config(config)
    except KeyFileError as exc:
        hint = "make one with `kiosk keys centre-keygen --out DIR` and set upload.centre_public_key"
        raise CliError(f"upload.centre_public_key: {exc}; {hint}") from None
    try:
        checker = SerialisedChecker(
            ComplianceChecker(config.compliance.profile, calibration=Calibration.load(config.data_dir))
        )
        formatter = FormatterAdapter(PhotoFormatter.from_profile(load_profile(config.compliance.profile)))
    except (ProfileError, ModelError) as exc:
        raise CliError(f"compliance.profile: {exc}") from None

    disk_low = [False]
    reserve = DiskReserve(data, config.upload.reserve_mb)
    reserve.ensure(keep_free_bytes=outbox.min_free_mb * MB)

    def readiness() -> Message | None:
        if not supervised.healthy:
            return Message("相机暂时不可用，请稍候", "The camera is not ready, please wait a moment")
        try:
            low = not outbox.free_ok()
        except OSError:
            low = True
        if low != disk_low[0]:  # an event when the disk crosses the watermark, not on every poll
            disk_low[0] = low
            records.record_event("disk_low" if low else "disk_ok", {})
        if not low:
            reserve.ensure(keep_free_bytes=outbox.min_free_mb * MB)
        if low:
            return Message(
                "存储空间不足，本机暂停采集，请联系工作人员",
                "Storage is nearly full; please ask staff before continuing",
            )
        return None

    booth = Booth(
        BoothSettings(kiosk_id=config.kiosk.id, booth=config.booth),
        clock,
        CodeDecoderAdapter(reader, clock),
        supervised,
        lights,
        checker,
        formatter,
        records,
        outbox,
        readiness,
        reserve,
    )
    printing = config.printing
    printer = CupsSheetPrinter(printing.printer, printing.options) if printing.printer else None
    booth.printer = printer
    button = BoothButton(
        config.gpio.pins.button,
        pin_factory,
        config.gpio.button_bounce_s,
        on_press=lambda: booth.post(ButtonPressed()),
    )
    runtime = Runtime.assemble(
        booth,
        supervised,
        BoothParts(lights=lights, button=button, outbox=outbox, printer=printer),
        preview_fps=config.camera.preview_fps,
        hints=HintReader(checker),
        language=config.kiosk.language,
        closers=[lights, records, outbox, button],
    )
    supervised.start()
    return runtime


@dataclass
class BoothServer:
    """The booth's runtime and its listening web server, started but not yet serving requests."""

    runtime: Runtime
    server: Any
    url: str
    staff: StaffServer | None = None  # the staff console's own server, already serving
    closing: threading.Event = field(default_factory=threading.Event)  # the app's: ends its streams

    @property
    def staff_url(self) -> str | None:
        return self.staff.url if self.staff else None

    def end_streams(self) -> None:
        """End the page's event and preview streams, which would otherwise hold their threads until the
        browser goes away (and then fail against a stopped booth, with a traceback in the log)."""
        self.closing.set()

    def close(self) -> None:
        self.end_streams()
        if self.staff is not None:
            self.staff.close()
        self.server.close()
        self.server.task_dispatcher.shutdown(timeout=5)  # the streams end within a second
        self.runtime.stop()


@dataclass
class StaffServer:
    """The staff console on its own waitress server, serving on its own thread until closed.

    Separate from the student page so it may listen on the campus network while the student page stays
    on 127.0.0.1; its app serves only /staff, /metrics, /healthz and /readyz.
    """

    server: Any
    url: str
    stop: threading.Event
    thread: threading.Thread

    @classmethod
    def start(cls, config: Config, runtime: Runtime) -> StaffServer:
        from kiosk.centre.receiver import serve_until
        from kiosk.staff import StaffConsole
        from kiosk.web import create_staff_app, listen

        console = StaffConsole.build(runtime, config)
        runtime.closers.append(console)
        staff = config.staff
        try:
            server = listen(create_staff_app(console), host=staff.host, port=staff.port, threads=staff.threads)
        except OSError as exc:
            raise CliError(
                f"staff console: cannot listen on {staff.host}:{staff.port}: {exc.strerror or exc}"
            ) from None
        stop = threading.Event()
        # serve_until closes the sockets on the serving thread: closing them from here would race its loop.
        thread = threading.Thread(target=serve_until, args=(server, stop), name="staff-web", daemon=True)
        thread.start()
        return cls(server, f"http://{staff.host}:{server.effective_port}/staff/", stop, thread)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)


def start_booth(config: Config, demo: bool = False, demo_photos: Path | None = None) -> BoothServer:
    """Build the booth from ``config``, bind its web port and start its threads (``demo``: as ``kiosk demo``)."""
    from kiosk.web import create_app, listen

    camera = None
    if demo:
        from kiosk.demo.director import ensure_demo_centre_keys, ensure_demo_keyring, make_demo_camera

        prepare_data_dir(config)
        ensure_demo_keyring(config.keyring_path)
        ensure_demo_centre_keys(Path(config.upload.centre_public_key))
        camera = make_demo_camera(config)
    runtime = build_runtime(config, camera=camera)
    if demo:
        from kiosk.demo.director import DemoDirector, start_demo_uploader

        DemoDirector.attach(runtime, config, camera, demo_photos)
        runtime.closers.append(start_demo_uploader(config))
    app = create_app(runtime, max_streams=config.web.max_streams)
    try:
        server = listen(app, host=config.web.host, port=config.web.port, threads=config.web.threads)
    except OSError as exc:
        runtime.stop()
        raise CliError(f"cannot listen on {config.web.host}:{config.web.port}: {exc.strerror or exc}") from None
    staff = None
    if config.staff.enabled:
        try:
            staff = StaffServer.start(config, runtime)
        except CliError:
            server.close()
            server.task_dispatcher.shutdown(timeout=2)
            runtime.stop()
            raise
    runtime.start()
    url = f"http://{config.web.host}:{server.effective_port}/"
    return BoothServer(runtime, server, url, staff, app.config["CLOSING"])


def serve(config: Config, demo: bool = False, demo_photos: Path | None = None) -> int:
    """Start the booth and its page with waitress; block until interrupted or stopped by systemd.

    The booth holds its data folder's booth lock while it runs (the demo also the uploader lock, for its
    in-process uploader), so a second booth, demo or uploader on the same folder stops with exit 2,
    naming this one.
    """
    from kiosk.core.folderlock import FolderBusy, booth_lock, uploader_lock

    try:
        with contextlib.ExitStack() as locks:
            locks.enter_context(booth_lock(config.data_dir))
            if demo:
                locks.enter_context(uploader_lock(config.data_dir))
            return _serve_locked(config, demo, demo_photos)
    except FolderBusy as exc:
        raise CliError(str(exc)) from None


def _serve_locked(config: Config, demo: bool, demo_photos: Path | None) -> int:
    booth = start_booth(config, demo, demo_photos)
    runtime = booth.runtime
    notifier = Notifier.from_env()
    watchdog = Watchdog(notifier, alive=runtime.alive)
    print(f"kiosk: the booth is running at {booth.url}  (data: {config.data_dir})", flush=True)
    if booth.staff_url:
        from kiosk.staff.auth import PasswordFile

        # The command as it must be typed for this booth: without --data it would set a password in the
        # default data folder, which a booth started with --data or a config file never reads.
        setting = f"kiosk passwd --data {shlex.quote(str(config.data_dir))}"
        advice = "" if PasswordFile.for_data_dir(config.data_dir).users() else f"  (set a password with `{setting}`)"
        print(f"kiosk: the staff console is at {booth.staff_url}{advice}", flush=True)
    if demo:
        print("kiosk: demo mode: the camera shows a phone with a capture code, then a portrait", flush=True)

    def _terminate(signum: int, frame: Any) -> None:  # systemd stops the booth with SIGTERM; Ctrl-C sends SIGINT
        # The streams end first: waitress waits for its threads as soon as its loop stops, and the page's
        # event and preview streams would hold those threads until they time out, then fail against the
        # closed server with tracebacks in the journal. Ended now, they finish while the server can still
        # take their last write.
        booth.end_streams()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    notifier.ready(status=f"serving {booth.url}")
    watchdog.start()
    try:
        booth.server.run()
    except KeyboardInterrupt:
        pass
    finally:
        notifier.stopping("stopping")
        watchdog.stop()
        booth.close()
        time.sleep(0.1)
    return 0
