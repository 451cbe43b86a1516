"""Choose the camera driver named by ``camera.source`` in the configuration.

Construction never touches the device: the returned camera opens on ``start()``, which lets the
supervisor own every open and reopen (``open_supervised_camera``).
"""

from __future__ import annotations

from pathlib import Path

from kiosk.core.clock import Clock
from kiosk.core.config import CameraSection
from kiosk.hw.camera import Camera
from kiosk.hw.opencv_cam import OpenCVCamera
from kiosk.hw.picam import Picamera2Camera
from kiosk.hw.replay import ReplayCamera
from kiosk.hw.supervisor import SupervisedCamera


def open_camera(cfg: CameraSection, data_dir: Path | str | None = None, clock: Clock | None = None) -> Camera:
    """A not-yet-started camera for ``cfg.source``.

    - ``"picamera2"``: the Pi camera module.
    - ``"opencv:N"`` / ``"opencv:/dev/videoN"``: a USB webcam by index or device path.
    - ``"replay"``: images or a video from ``cfg.replay_dir`` (a relative path is taken from
      ``data_dir``, so a service's working folder does not matter); with no ``replay_dir`` the
      camera starts empty and the caller hands it pictures with ``ReplayCamera.show()``.

    ``clock`` paces the replay camera (tests pass a fake one).
    """
    source = cfg.source
    if source == "picamera2":
        return Picamera2Camera(
            cfg.preview_size, cfg.still_size, cfg.preview_fps, cfg.stall_timeout_s, detail_size=cfg.detail_size
        )
    if source.startswith("opencv:"):
        return OpenCVCamera(
            _opencv_device(source), cfg.preview_size, cfg.still_size, cfg.preview_fps, cfg.stall_timeout_s
        )
    if source == "replay":
        return ReplayCamera(
            _replay_source(cfg.replay_dir, data_dir),
            cfg.preview_size,
            cfg.preview_fps,
            clock=clock,
            detail_size=cfg.detail_size,
        )
    raise ValueError(f"camera.source: unknown camera {source!r}")


def open_supervised_camera(
    cfg: CameraSection, data_dir: Path | str | None = None, clock: Clock | None = None
) -> SupervisedCamera:
    """``open_camera`` wrapped in a ``SupervisedCamera`` that makes a fresh driver on every reopen."""
    return SupervisedCamera(lambda: open_camera(cfg, data_dir, clock), clock=clock)


def _opencv_device(source: str) -> int | str:
    rest = source.removeprefix("opencv:")
    if rest.isdigit():
        return int(rest)
    if rest.startswith("/"):
        return rest
    raise ValueError(f"camera.source: expected 'opencv:<index>' or 'opencv:/dev/videoN', got {source!r}")


def _replay_source(replay_dir: str, data_dir: Path | str | None) -> Path | None:
    if not replay_dir:
        return None
    path = Path(replay_dir).expanduser()
    if not path.is_absolute() and data_dir is not None:
        path = Path(data_dir).expanduser() / path
    return path
