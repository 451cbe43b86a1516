"""Opening image files safely: the pixel count is read from the header and checked before any decoding.

A 57-byte PNG can declare 100,000 x 100,000 pixels; decoding it asks for 30 GB, and a 30k x 30k photo
took a crop to 5.4 GB. A Raspberry Pi with 4 GB is killed long before either finishes. So every command
and the booth's replay camera ask :func:`decode_image`, which reads only the header (Pillow's lazy
open) and refuses anything over :data:`MAX_PIXELS` with one line. The camera's stills (12 MP on the
HQ camera, up to 48 MP on others) pass.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np

MAX_PIXELS = 64_000_000  # 48 MP (8000 x 6000) passes with room; 8000 x 8000 is the most
MAX_FILE_BYTES = 256_000_000  # a 48 MP photo is 10-40 MB as JPEG, at most 144 MB as plain PNG


class ImageRefused(ValueError):
    """An image that is not opened; the message is one line."""


class ImageUnreadable(ImageRefused):
    """No header this tool can read, or pixels that do not decode."""


class ImageTooLarge(ImageRefused):
    """More pixels (or bytes) than the limit: refused before decoding."""


def header_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the image header, without decoding pixels; None if no known format.

    Pillow's own guard refuses to open the most extreme declarations at all; that is reported as
    ImageRefused here, since the pixel count is then certainly over any limit of ours.
    """
    from PIL import Image, UnidentifiedImageError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as img:
                return int(img.size[0]), int(img.size[1])
        except Image.DecompressionBombError as exc:
            raise ImageTooLarge(f"the image declares far more pixels than the limit ({exc}); refused") from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            return None


def check_pixels(data: bytes, limit: int = MAX_PIXELS) -> tuple[int, int]:
    """The image's (width, height) from its header; ImageRefused when unreadable or over ``limit``."""
    size = header_size(data)
    if size is None:
        raise ImageUnreadable("not a readable image (JPEG, PNG, WebP, BMP or TIFF)")
    w, h = size
    if w <= 0 or h <= 0:
        raise ImageUnreadable("not a readable image (it declares no pixels)")
    if w * h > limit:
        raise ImageTooLarge(
            f"{w} x {h} pixels ({w * h / 1e6:.0f} MP) is over the limit of {limit / 1e6:.0f} MP; refused"
        )
    return size


def decode_image(data: bytes, limit: int = MAX_PIXELS) -> np.ndarray:
    """Decode ``data`` as BGR after checking its header; ImageRefused with the reason otherwise."""
    import cv2

    check_pixels(data, limit)
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ImageUnreadable("not a readable image (damaged?)")
    return image


def read_image_file(path: Path | str, limit: int = MAX_PIXELS) -> np.ndarray:
    """Read and decode an image file; OSError when it cannot be read, ImageRefused when it is refused."""
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ImageTooLarge(f"the file is {size / 1e6:.0f} MB, over the limit of {MAX_FILE_BYTES / 1e6:.0f} MB")
    return decode_image(path.read_bytes(), limit)
