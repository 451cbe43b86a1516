"""``kiosk calibrate``: measure this booth's backdrop and pose zero, and keep them in the data folder.

Run with the booth stopped (it holds the camera; the booth lock says so otherwise). The backdrop is
measured from a still of the empty backdrop with the capture lights on; the pose zero (``--pose``) from a
still of someone seated and looking straight into the lens. ``--image FILE`` measures a photo taken
before instead of the camera. The checker uses the result from the next start of the booth.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kiosk.cli.common import add_config_options, config_from_args, read_image
from kiosk.core.errors import CliError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calibrate", help="measure the empty backdrop (and --pose: the pose zero) of this booth")
    add_config_options(p)
    p.add_argument("--pose", action="store_true", help="measure the pose zero: someone seated, looking at the lens")
    p.add_argument("--image", metavar="FILE", help="measure this photo instead of a camera still")
    p.add_argument("--yes", action="store_true", help="do not wait for Enter before taking the still")
    p.add_argument("--status", action="store_true", help="only show the stored calibration: missing, fresh or stale")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kiosk.vision.calibration import Calibration, CalibrationError, measure_backdrop, measure_pose_zero

    config = config_from_args(args)
    stored = Calibration.load(config.data_dir)
    if args.status:
        print(f"calibration: {stored.status()}: {stored.summary()}")
        return 0 if stored.status() == "fresh" else 1
    what = "someone seated, looking straight into the lens" if args.pose else "the empty backdrop, nobody in front"
    try:
        image = read_image(args.image) if args.image else _still(config, what, args.yes)
        if args.pose:
            from kiosk.vision.checker import ComplianceChecker

            updated = stored.with_pose(measure_pose_zero(ComplianceChecker(config.compliance.profile), image))
        else:
            updated = stored.with_backdrop(measure_backdrop(image))
    except CalibrationError as exc:
        raise CliError(f"calibrate: {exc}") from None
    path = updated.save(config.data_dir)
    print(f"calibration saved to {path}: {updated.summary()}")
    if updated.backdrop is not None and not updated.backdrop.even and not args.pose:
        print(
            f"calibrate: warning: the backdrop is unevenly lit (L* spread {updated.backdrop.spread_l:.1f}): "
            "aim the background light at the middle of the cloth and measure again",
            file=sys.stderr,
        )
    print("restart the booth to use it: sudo systemctl restart kiosk")
    return 0


def _still(config: Any, what: str, no_wait: bool) -> Any:
    """One still from the configured camera with the capture lights on, holding the booth's lock."""
    from kiosk.core.folderlock import FolderBusy, booth_lock
    from kiosk.hw.factory import open_camera
    from kiosk.hw.gpio import GpioError, make_pin_factory
    from kiosk.hw.lights import Lights
    from kiosk.hw.replay import ReplayCamera

    try:
        with booth_lock(config.data_dir):
            try:
                factory = make_pin_factory(config.gpio.pin_factory)
            except GpioError as exc:
                raise CliError(str(exc)) from None
            with Lights(config.gpio.pins, config.lights, factory) as lights:
                lights.set_scene("capture")
                if not no_wait:
                    try:
                        input(f"kiosk calibrate: {what}; press Enter to take the still ")
                    except EOFError:
                        raise CliError("calibrate: no keyboard to press Enter on: pass --yes") from None
                camera = open_camera(config.camera, config.data_dir)
                if isinstance(camera, ReplayCamera) and not config.camera.replay_dir:
                    raise CliError("calibrate: the replay camera has no pictures (camera.replay_dir); use --image FILE")
                try:
                    camera.start()
                    for _ in range(5):  # let automatic exposure settle, as the self-test does
                        camera.preview_frame()
                    return camera.capture_still()
                except Exception as exc:
                    raise CliError(f"calibrate: no picture from the camera: {exc}") from None
                finally:
                    camera.close()
    except FolderBusy as exc:
        raise CliError(f"calibrate: {exc}") from None
