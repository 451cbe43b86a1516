#!/usr/bin/env python3
"""Re-extract the vendored MediaPipe models from the pinned wheel and verify them against SHA256SUMS.

    python models/fetch_mediapipe.py            # download the wheel with pip, extract, verify
    python models/fetch_mediapipe.py --wheel W  # use a wheel already on disk
    python models/fetch_mediapipe.py --check    # only verify the files in models/

The wheel is only a container here: the booth never imports mediapipe. Any manylinux x86_64 build of
the pinned version holds the same .tflite files, so the download does not depend on the host.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

VERSION = "0.10.14"
HERE = Path(__file__).resolve().parent
FILES = {
    "face_detection_short_range.tflite": "mediapipe/modules/face_detection/face_detection_short_range.tflite",
    "face_landmark.tflite": "mediapipe/modules/face_landmark/face_landmark.tflite",
    "iris_landmark.tflite": "mediapipe/modules/iris_landmark/iris_landmark.tflite",
    "selfie_segmentation.tflite": "mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite",
    "palm_detection_lite.tflite": "mediapipe/modules/palm_detection/palm_detection_lite.tflite",
}
LICENCE = (f"mediapipe-{VERSION}.dist-info/LICENSE", "LICENSE-mediapipe.txt")


def expected_sums() -> dict[str, str]:
    sums = {}
    for line in (HERE / "SHA256SUMS").read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[name.lstrip("*")] = digest
    return sums


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def verify() -> bool:
    ok = True
    for name, digest in expected_sums().items():
        path = HERE / name
        got = sha256(path) if path.is_file() else "missing"
        status = "OK" if got == digest else f"MISMATCH ({got})"
        ok &= got == digest
        print(f"{name}: {status}")
    return ok


def download(dest: Path) -> Path:
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", f"mediapipe=={VERSION}",
        "--python-version", "3.11", "--only-binary=:all:",
        "--platform", "manylinux_2_17_x86_64", "-d", str(dest),
    ]  # fmt: skip
    subprocess.run(cmd, check=True)
    wheels = sorted(dest.glob(f"mediapipe-{VERSION}-*.whl"))
    if not wheels:
        raise SystemExit("pip download produced no mediapipe wheel")
    return wheels[0]


def extract(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        for name, member in [*FILES.items(), (LICENCE[1], LICENCE[0])]:
            (HERE / name).write_bytes(zf.read(member))
            print(f"extracted {member} -> models/{name}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheel", type=Path, help="a mediapipe wheel already downloaded")
    ap.add_argument("--check", action="store_true", help="only verify the checksums")
    args = ap.parse_args(argv)
    if not args.check:
        if args.wheel:
            extract(args.wheel)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                extract(download(Path(tmp)))
    return 0 if verify() else 1


if __name__ == "__main__":
    sys.exit(main())
