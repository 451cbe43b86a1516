"""Upload-queue benchmark: how fast the booth queues, how fast the uploader drains, how much memory it needs.

    .venv/bin/python bench/upload.py            # full run (about 3 minutes on a 2-core machine)
    .venv/bin/python bench/upload.py --quick    # smaller numbers, for a smoke test

Everything runs on loopback: the reference receiver (``kiosk receiver``) and an S3 API (moto's server)
each in a process of their own, so the uploader being measured does not share a core's GIL with them.
Prints a Markdown table (docs/upload-queue.md keeps the latest one).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kiosk.core.capture import AcceptedCapture, SubjectInfo  # noqa: E402
from kiosk.core.config import UploadSection  # noqa: E402
from kiosk.queue.outbox import Backoff, Outbox  # noqa: E402
from kiosk.storage.sealing import generate_centre_keypair, load_public_key  # noqa: E402
from kiosk.upload.loop import Uploader  # noqa: E402
from kiosk.upload.targets import make_target  # noqa: E402

TOKEN = "bench-token-0123456789"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env.pop(var, None)
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early ({proc.returncode})")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listening on port {port}")


@contextmanager
def _process(args: list[str], port: int) -> Iterator[None]:
    proc = subprocess.Popen(args, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_port(port, proc)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _capture(rng: random.Random, photo_kb: int) -> AcceptedCapture:
    return AcceptedCapture(
        capture_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        kiosk_id="bench-01",
        subject=SubjectInfo(uid="U-0", name="张**", idn="*****0000", school="Bench", level="本科"),
        taken_at=datetime(2026, 6, 1, 9, 0, tzinfo=timezone(timedelta(hours=8))),
        profile="chsi",
        attempt=1,
        report={"pass": True, "checks": {}, "ms": 10.0},
        photo_jpeg=b"\xff\xd8\xff\xe0" + rng.randbytes(photo_kb * 1024),
    )


def _fill(data_dir: Path, public_key_path: Path, count: int, photo_kb: int, seed: int) -> float:
    """Queue ``count`` captures the way the booth does; return captures per second."""
    rng = random.Random(seed)
    outbox = Outbox(data_dir, load_public_key(public_key_path), "bench-01", min_free_mb=0)
    captures = [_capture(rng, photo_kb) for _ in range(count)]
    started = time.perf_counter()
    for capture in captures:
        outbox.submit(capture)
    elapsed = time.perf_counter() - started
    outbox.close()
    return count / elapsed


def _drain(data_dir: Path, target_url: str, section: UploadSection) -> tuple[float, int]:
    """Drain the outbox in this process; return (envelopes per second, envelopes done)."""
    outbox = Outbox(data_dir, None, "bench-01", backoff=Backoff(0.05, 0.2, 0.2), min_free_mb=0)
    target = make_target(target_url, section)
    uploader = Uploader(outbox, target)
    started = time.perf_counter()
    summary = uploader.run_once()
    elapsed = time.perf_counter() - started
    target.close()
    outbox.close()
    done = summary.counts.get("done", 0)
    return done / elapsed, done


# Runs ``kiosk uploader`` exactly as the console script does, then reports the process's own peak RSS.
# (VmHWM, not getrusage: on Linux ru_maxrss survives exec and would include this bench's own memory.)
_UPLOADER = """
import sys
from kiosk.cli import main
status = main(sys.argv[1:])
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
print("VmHWM", int(hwm.split()[1]))
sys.exit(status)
"""


def _uploader_rss(data_dir: Path, target_url: str, tmp: Path) -> tuple[float, float, int]:
    """Run ``kiosk uploader --once`` as its own process; return (peak RSS MB, seconds, exit status)."""
    cfg = tmp / f"uploader-{uuid.uuid4().hex[:6]}.toml"
    cfg.write_text(
        f'[kiosk]\nid = "bench-01"\ndata_dir = "{data_dir}"\n'
        f'[upload]\ntarget = "{target_url}"\ntoken = "{TOKEN}"\nmin_free_mb = 0\n'
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _UPLOADER, "uploader", "--once", "-c", str(cfg)],
        env=_env(),
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    kib = next(int(line.split()[1]) for line in done.stdout.splitlines() if line.startswith("VmHWM"))
    return kib / 1024, elapsed, done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="envelopes per drain measurement")
    parser.add_argument("--queued", type=int, default=10_000, help="queue length for the memory measurement")
    parser.add_argument("--photo-kb", type=int, default=100, help="photo size in KiB (a 480x640 JPEG: ~100)")
    parser.add_argument("--quick", action="store_true", help="count 100, queued 1000")
    args = parser.parse_args()
    if args.quick:
        args.count, args.queued = 100, 1000

    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp_name:
        tmp = Path(tmp_name)
        private_pem, public_pem = generate_centre_keypair()
        (tmp / "centre.key").write_bytes(private_pem)
        (tmp / "centre.pub").write_bytes(public_pem)
        (tmp / "tokens").write_text(f"bench-01 {TOKEN}\n")

        rate = _fill(tmp / "http", tmp / "centre.pub", args.count, args.photo_kb, seed=1)
        rows.append((f"queue a capture (seal + durable write + commit), {args.photo_kb} KiB photo", f"{rate:.0f} /s"))

        port = _free_port()
        receiver = [
            sys.executable, "-m", "kiosk", "receiver", "--key", str(tmp / "centre.key"),
            "--store", str(tmp / "centre"), "--port", str(port), "--token-file", str(tmp / "tokens"),
        ]  # fmt: skip
        http_url = f"http://127.0.0.1:{port}"
        with _process(receiver, port):
            rate, done = _drain(tmp / "http", http_url, UploadSection(token=TOKEN, timeout_s=30))
            assert done == args.count, done
            rows.append(("drain to `kiosk receiver` (HTTP, loopback)", f"{rate:.0f} envelopes/s"))

            _fill(tmp / "empty", tmp / "centre.pub", 0, args.photo_kb, seed=2)
            rss, _, _ = _uploader_rss(tmp / "empty", http_url, tmp)
            rows.append(("`kiosk uploader --once` peak RSS, empty queue", f"{rss:.0f} MB"))

            _fill(tmp / "big", tmp / "centre.pub", args.queued, args.photo_kb, seed=3)
            rss, seconds, status = _uploader_rss(tmp / "big", http_url, tmp)
            assert status == 0, status
            rows.append(
                (
                    f"`kiosk uploader --once` peak RSS, {args.queued:,} queued (drained in {seconds:.0f} s)",
                    f"{rss:.0f} MB",
                )
            )

        import boto3

        s3_port = _free_port()
        moto = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(s3_port)]
        s3_url = f"http://127.0.0.1:{s3_port}"
        with _process(moto, s3_port):
            creds = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench"}
            boto3.client("s3", endpoint_url=s3_url, region_name="us-east-1", **creds).create_bucket(Bucket="photos")
            _fill(tmp / "s3", tmp / "centre.pub", args.count, args.photo_kb, seed=4)
            section = UploadSection(
                s3_endpoint_url=s3_url,
                s3_region="us-east-1",
                s3_access_key_id="bench",
                s3_secret_access_key="bench",
                timeout_s=30,
            )
            rate, done = _drain(tmp / "s3", "s3://photos/kiosks", section)
            assert done == args.count, done
            rows.append(("drain to S3 (moto server, loopback)", f"{rate:.0f} envelopes/s"))

    width = max(len(r[0]) for r in rows)
    print(f"upload queue benchmark: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"| {'measurement'.ljust(width)} | result |")
    print(f"| {'-' * width} | --- |")
    for name, value in rows:
        print(f"| {name.ljust(width)} | {value} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
