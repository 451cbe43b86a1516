"""Are the face models there, and are they the files the booth was tested with?

Each model the compliance check loads must be in the models folder, and must hash to its line in the
folder's ``SHA256SUMS`` (shipped with the package, see models/README.md): a truncated copy or a file
swapped by hand fails here rather than as a strange verdict on a student's photo. A folder without
``SHA256SUMS`` (models being tried out through ``$KIOSK_MODELS_DIR``) or a model without a line in it
is a warning: present, but not checked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kiosk.ops.probes.result import Level, ProbeResult

# The models the compliance check loads; the face detector comes first.
MODEL_FILES = (
    "face_detection_short_range.tflite",
    "face_landmark.tflite",
    "iris_landmark.tflite",
    "selfie_segmentation.tflite",
    "palm_detection_lite.tflite",
    "attributes_int8.tflite",
)
SUMS_FILE = "SHA256SUMS"


@dataclass(frozen=True)
class ModelFiles:
    folder: Path
    missing: tuple[str, ...] = ()
    mismatched: tuple[str, ...] = ()  # present, but not the file SHA256SUMS names
    unchecked: tuple[str, ...] = ()  # present, with no checksum to compare against


def read_sums(path: Path) -> dict[str, str] | None:
    """``name -> sha256`` from a ``sha256sum`` listing, or None when there is none to read."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    sums = {}
    for line in text.splitlines():
        parts = line.split(maxsplit=1)
        if len(parts) == 2:
            sums[parts[1].strip().lstrip("*")] = parts[0].lower()
    return sums


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def probe_models(models_dir: Path, names: Sequence[str] = MODEL_FILES) -> ProbeResult[ModelFiles]:
    """Fails when a model is missing or does not match its checksum; warns when one cannot be checked."""
    missing = tuple(name for name in names if not (models_dir / name).is_file())
    if missing:
        files = ModelFiles(models_dir, missing=missing)
        return ProbeResult(Level.FAIL, f"{models_dir / missing[0]} is missing", files)
    sums = read_sums(models_dir / SUMS_FILE)
    if sums is None:
        files = ModelFiles(models_dir, unchecked=tuple(names))
        return ProbeResult(Level.WARN, f"no {SUMS_FILE} in {models_dir}: checksums not checked", files)
    unchecked = tuple(name for name in names if name not in sums)
    mismatched = tuple(name for name in names if name in sums and sha256_of(models_dir / name) != sums[name])
    files = ModelFiles(models_dir, mismatched=mismatched, unchecked=unchecked)
    if mismatched:
        return ProbeResult(
            Level.FAIL, f"{models_dir / mismatched[0]} does not match its checksum in {SUMS_FILE}", files
        )
    if unchecked:
        return ProbeResult(Level.WARN, f"no checksum in {SUMS_FILE} for {', '.join(unchecked)}", files)
    return ProbeResult(Level.OK, f"{len(names)} model files match {SUMS_FILE}", files)
