"""Bounds on a zip archive, checked from its central directory before anything is inflated.

A few megabytes of deflated zip can declare (and unpack to) gigabytes: an XLSX whose shared strings
inflate to 1.5 GB takes a Raspberry Pi's memory with it. Python's ``zipfile`` never returns more than a
member's declared size (a member that inflates further fails its CRC check), so checking the declared
sizes, their total and the compression ratio is enough to bound what a reader can be made to unpack.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass


class ZipTooLarge(ValueError):
    """The archive would unpack to more than the limits allow; the message says which limit."""


@dataclass(frozen=True)
class ZipLimits:
    """What a reader is prepared to unpack: members, bytes per member and in all, and inflation ratio."""

    max_members: int
    max_member_bytes: int
    max_total_bytes: int
    max_ratio: float  # uncompressed / compressed, for members over ``ratio_floor`` bytes
    ratio_floor: int = 1024 * 1024
    stored_only: bool = False


def check_zip(data: bytes, limits: ZipLimits) -> None:
    """Raise ``ZipTooLarge`` when ``data`` breaks ``limits``; ``zipfile.BadZipFile`` when it is no zip."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        check_members(zf.infolist(), limits)


def check_members(members: list[zipfile.ZipInfo], limits: ZipLimits) -> None:
    if len(members) > limits.max_members:
        raise ZipTooLarge(f"{len(members)} parts, more than {limits.max_members}")
    total = 0
    for info in members:
        if limits.stored_only and info.compress_type != zipfile.ZIP_STORED:
            raise ZipTooLarge(f"{info.filename}: compressed, but only stored parts are accepted")
        if info.file_size > limits.max_member_bytes:
            limit = _mb(limits.max_member_bytes)
            raise ZipTooLarge(f"{info.filename}: unpacks to {_mb(info.file_size)}, more than {limit}")
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise ZipTooLarge(f"{info.filename}: inflates {info.file_size // max(info.compress_size, 1)}-fold")
        total += info.file_size
    if total > limits.max_total_bytes:
        raise ZipTooLarge(f"unpacks to {_mb(total)} in all, more than {_mb(limits.max_total_bytes)}")


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"
