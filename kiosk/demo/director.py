"""``kiosk demo``: the whole booth on a laptop with no camera, no GPIO and no server.

The replay camera plays the part of the world in front of the booth. A small director listens to the
booth's state changes (the same hook a plug-in would use): at the start screen it shows a phone with a
freshly issued capture code, and when the student is asked to pose (or to pose again after a retake) it
shows the next portrait of the cast (``kiosk.demo.cast``: portraits the check passes and portraits it
fails for a clear reason, found at start by running the check).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from kiosk.core.config import Config
from kiosk.core.files import atomic_write
from kiosk.demo.cast import Cast, candidates

log = logging.getLogger(__name__)

DEMO_KID = "demo"
DEMO_STILL_SIZE = (2028, 1520)  # half a 12 MP still: the same geometry, a snappier demo
CAST_BUDGET_S = 60.0  # time the demo spends at start choosing portraits (it stops early once it has them)
DEMO_NAMES = [("张三", "本科"), ("李小红", "研究生"), ("王伟", "专科"), ("陈静", "本科")]


def demo_config(config: Config, port: int | None = None, countdown: int | None = None) -> Config:
    """The config with the demo's embedded choices: replay camera, mock GPIO, its own keyring."""
    camera = replace(config.camera, source="replay", replay_dir="")
    gpio = replace(config.gpio, pin_factory="mock")
    web = replace(config.web, port=port) if port else config.web
    booth = replace(config.booth, countdown_s=countdown) if countdown else config.booth
    codes = config.codes
    if not codes.keyring:
        codes = replace(codes, keyring=str(config.data_dir / "demo-keyring.toml"))
    upload = config.upload
    if not upload.centre_public_key:
        upload = replace(upload, centre_public_key=str(config.data_dir / "demo-centre" / "centre.pub"))
    return replace(config, camera=camera, gpio=gpio, web=web, booth=booth, codes=codes, upload=upload)


def ensure_demo_centre_keys(public_path: Path) -> None:
    """A centre key pair for the demo, so its photos are sealed like a real booth's.

    The private key sits beside the public one only because the demo is its own collection centre
    (open a demo envelope with ``kiosk unseal --key .../centre.key``); a real booth holds only the
    public key.
    """
    from kiosk.storage.sealing import generate_centre_keypair

    if public_path.exists():
        return
    private_pem, public_pem = generate_centre_keypair()
    atomic_write(public_path.with_name("centre.key"), private_pem, mode=0o600)
    atomic_write(public_path, public_pem, mode=0o644)


def start_demo_uploader(config: Config) -> Any:
    """The uploader, which is its own service on a booth, as a thread here: photos land in the upload folder."""
    import threading

    from kiosk.upload.service import build_uploader

    uploader = build_uploader(config)
    stop = threading.Event()
    thread = threading.Thread(target=uploader.run_forever, args=(stop,), name="demo-uploader", daemon=True)
    thread.start()

    class _Handle:
        def close(self) -> None:
            stop.set()
            thread.join(timeout=5)
            uploader.target.close()
            uploader.outbox.close()

    return _Handle()


def make_demo_camera(config: Config) -> Any:
    from kiosk.hw.replay import ReplayCamera

    return ReplayCamera(None, config.camera.preview_size, config.camera.preview_fps)


def ensure_demo_keyring(path: Path) -> Any:
    from kiosk.codes import Keyring

    if path.exists():
        return Keyring.load(path)
    log.info("demo: creating a demo keyring at %s", path)
    return Keyring.generate(path, DEMO_KID)


def synthetic_scene(size: tuple[int, int] = (1600, 1200)) -> np.ndarray:
    """A drawn stand-in for a student on the blue backdrop (no real face: the check will say so)."""
    w, h = size
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = (255, 197, 100)  # BGR of the spec's light blue RGB(100, 197, 255)
    cx = w // 2
    cv2.ellipse(img, (cx, int(h * 0.95)), (int(w * 0.28), int(h * 0.3)), 0, 180, 360, (60, 60, 60), -1)
    cv2.rectangle(img, (cx - 45, int(h * 0.55)), (cx + 45, int(h * 0.68)), (150, 180, 220), -1)
    cv2.ellipse(img, (cx, int(h * 0.42)), (int(w * 0.085), int(h * 0.15)), 0, 0, 360, (160, 190, 230), -1)
    cv2.ellipse(img, (cx, int(h * 0.33)), (int(w * 0.09), int(h * 0.09)), 0, 180, 360, (30, 30, 30), -1)
    return img


@dataclass
class StudentCounter:
    """Demo student numbers that carry on across restarts, kept in the data folder.

    The booth remembers who was photographed today; a restarted demo that began again at DEMO00001
    would show codes of students already done, and the booth would rightly refuse every one of them.
    """

    path: Path
    _last: int = 0

    def __iter__(self) -> StudentCounter:
        return self

    def __next__(self) -> int:
        try:
            stored = int(self.path.read_text().strip())
        except (OSError, ValueError):
            stored = 0
        self._last = max(self._last, stored) + 1
        try:
            atomic_write(self.path, f"{self._last}\n".encode())
        except OSError as exc:  # a full disk: carry on in memory rather than stop the demo
            log.warning("demo: cannot save the student counter: %s", exc)
        return self._last


@dataclass
class DemoDirector:
    camera: Any
    keyring: Any
    cast: Cast | None = None
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @classmethod
    def attach(
        cls, runtime: Any, config: Config, camera: Any, photos: Path | None, budget_s: float = CAST_BUDGET_S
    ) -> DemoDirector:
        checker = runtime.booth.checker
        cast = None
        analyser = getattr(checker, "analyser", None)
        if photos is not None and analyser is not None:
            cast = Cast(candidates(photos), scene_maker(checker), checker.check, budget_s=budget_s).start()
            runtime.closers.append(cast)
        director = cls(
            camera,
            ensure_demo_keyring(config.keyring_path),
            cast,
            counter=StudentCounter(config.data_dir / "demo-students"),
        )
        runtime.booth.add_state_listener(director.on_state)
        director.show_code()
        return director

    def next_code(self) -> str:
        from kiosk.codes import issue_code

        n = next(self.counter)
        name, level = DEMO_NAMES[(n - 1) % len(DEMO_NAMES)]
        return issue_code(
            self.keyring,
            DEMO_KID,
            uid=f"DEMO{n:05d}",
            name=name,
            idn=f"11010120000101{n % 10000:04d}",
            school="示范大学 Demo University",
            level=level,
            iat=int(time.time()),
            exp=int(time.time()) + 3600,
        )

    def show_code(self) -> None:
        from kiosk.codes.phone_screen import render_phone

        self.camera.show([render_phone(self.next_code())])

    def on_state(self, old: str, new: str, ctx: Any) -> None:
        if new == "idle":
            self.show_code()
        elif new == "pose" and old in ("confirm", "review", "ask"):  # a new student, or a retake
            self.camera.show([self.next_scene()])

    def next_scene(self) -> np.ndarray:
        portrait = self.cast.next() if self.cast is not None else None
        if portrait is None:
            return synthetic_scene()
        if portrait.passed is None:
            verdict = "not checked yet"
        else:
            verdict = "passes" if portrait.passed else f"fails: {', '.join(portrait.reasons)}"
        log.info("demo: posing %s (%s)", portrait.source, verdict)
        return portrait.scene


def scene_maker(checker: Any) -> Callable[[np.ndarray], np.ndarray]:
    """Place a portrait's person on the backdrop at booth scale, taking turns with the booth for the models."""
    from kiosk.demo.scene import booth_scene

    lock = getattr(checker, "lock", None) or contextlib.nullcontext()

    def make(image: np.ndarray) -> np.ndarray:
        with lock:
            return booth_scene(checker.analyser, image, DEMO_STILL_SIZE, face_px=330)

    return make
