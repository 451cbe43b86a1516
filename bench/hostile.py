"""Hostile-input benchmark: what the booth and the receiver spend on the bombs of the attack review.

    .venv/bin/python bench/hostile.py            # the review's sizes: 1.5 GB XLSX strings, 2 GB envelope meta
    .venv/bin/python bench/hostile.py --quick    # 200 MB each, for a smoke test

Each bomb is generated here (a few MB of deflate), then handed to the real reader in a child process
whose wall time and peak RSS are measured: the schedule import (``read_schedule``), ``open_envelope``
(what ``kiosk unseal`` and the receiver run), and a 60 MB upload without a token against ``kiosk
receiver`` on loopback (time to the 401, bytes the client got to send). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kiosk.storage.sealing import INFO_PREFIX, EnvelopeHeader, _suite, generate_centre_keypair, load_public_key  # noqa: E402

CHUNK = 16 * 1024 * 1024


def _deflated_member(zf: zipfile.ZipFile, name: str, head: bytes, filler: bytes, size: int, tail: bytes) -> None:
    """Write ``name`` as ``head + filler * n + tail`` (about ``size`` bytes), streamed: never all in memory."""
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with zf.open(info, "w", force_zip64=True) as fh:
        fh.write(head)
        block = filler * (CHUNK // len(filler))
        for _ in range(max(size // len(block), 1)):
            fh.write(block)
        fh.write(tail)


def xlsx_bomb(path: Path, size: int) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["日期", "开始时间", "结束时间", "学院", "人数"])
    buf = io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            if info.filename != "xl/sharedStrings.xml":
                dst.writestr(info, src.read(info))
        _deflated_member(
            dst,
            "xl/sharedStrings.xml",
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">',
            b"<si><t>" + b"A" * 8000 + b"</t></si>",
            size,
            b"</sst>",
        )


def envelope_bomb(path: Path, public_pem: Path, size: int) -> None:
    cid = str(uuid.uuid4())
    header = EnvelopeHeader(cid, "booth-01").encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        head = json.dumps({"capture_id": cid, "kiosk_id": "booth-01", "pad": ""})[:-2].encode()
        _deflated_member(zf, "meta.json", head, b" ", size, b'"}')
        zf.writestr("photo.jpg", b"\xff\xd8\xff" + b"\0" * 1000)
    sealed = _suite().encrypt(buf.getvalue(), load_public_key(public_pem), info=INFO_PREFIX + header)
    path.write_bytes(header + sealed)


CHILD = r"""
import re, sys, time
sys.path.insert(0, sys.argv[1])
kind, path = sys.argv[2], sys.argv[3]
t = time.perf_counter()
try:
    if kind == "xlsx":
        from kiosk.staff.schedule import read_schedule
        read_schedule(open(path, "rb").read(), "bomb.xlsx")
    else:
        from kiosk.storage.sealing import load_private_key, open_envelope, read_envelope_file
        from pathlib import Path
        open_envelope(read_envelope_file(Path(path)), load_private_key(Path(sys.argv[4])))
    outcome = "read (not refused)"
except Exception as exc:
    outcome = "refused: " + str(exc)[:70]
ms = (time.perf_counter() - t) * 1000
hwm = int(re.search(r"VmHWM:\s+(\d+)", open("/proc/self/status").read())[1]) / 1024  # this process only
print(f"{ms:.0f}\t{hwm:.0f}\t{outcome}")
"""


def measure(kind: str, path: Path, *extra: str) -> tuple[str, str, str]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT), kind, str(path), *extra], capture_output=True, text=True, timeout=600
    )
    ms, rss, outcome = done.stdout.strip().split("\t")
    return ms, rss, outcome


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unauthorised_put(tmp: Path, private_pem: Path, size: int) -> tuple[str, str]:
    """Time to the 401 for a ``size``-byte PUT without a token, and how much of the body got sent."""
    tokens = tmp / "tokens"
    tokens.write_text("booth-01 bench-token-0123456789\n")
    port = free_port()
    cmd = [sys.executable, "-m", "kiosk", "receiver", "--key", str(private_pem), "--store", str(tmp / "store")]
    cmd += ["--port", str(port), "--token-file", str(tokens)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        t = time.perf_counter()
        sock.sendall(f"PUT /v1/captures/{uuid.uuid4()} HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\n\r\n".encode())
        sent, answer, chunk = 0, b"", b"\0" * 65536
        sock.setblocking(False)
        while not answer and sent < size:
            try:
                answer = sock.recv(4096)
                break
            except BlockingIOError:
                pass
            try:
                sent += sock.send(chunk[: size - sent])
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                time.sleep(0.001)
        sock.setblocking(True)
        if not answer:
            answer = sock.recv(4096)
        ms = (time.perf_counter() - t) * 1000
        sock.close()
        status = answer.split(b"\r\n", 1)[0].decode()
        return f"{ms:.0f} ms to {status}", f"{sent / 1e6:.1f} MB of {size / 1e6:.0f} MB"
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 MB bombs instead of the review's sizes")
    args = parser.parse_args()
    xlsx_size = 200_000_000 if args.quick else 1_500_000_000
    env_size = 200_000_000 if args.quick else 2_000_000_000
    rows = []
    with tempfile.TemporaryDirectory(prefix="kiosk-hostile-") as name:
        tmp = Path(name)
        private_pem, public_pem = generate_centre_keypair()
        (tmp / "centre.key").write_bytes(private_pem)
        (tmp / "centre.pub").write_bytes(public_pem)
        xlsx = tmp / "bomb.xlsx"
        xlsx_bomb(xlsx, xlsx_size)
        ms, rss, outcome = measure("xlsx", xlsx)
        what = f"XLSX, shared strings inflate to {xlsx_size / 1e9:.1f} GB"
        rows.append((what, f"{xlsx.stat().st_size / 1e6:.1f} MB", ms, rss, outcome))
        env = tmp / "bomb.xce"
        envelope_bomb(env, tmp / "centre.pub", env_size)
        ms, rss, outcome = measure("envelope", env, str(tmp / "centre.key"))
        what = f"envelope, meta.json inflates to {env_size / 1e9:.1f} GB"
        rows.append((what, f"{env.stat().st_size / 1e6:.1f} MB", ms, rss, outcome))
        answer, sent = unauthorised_put(tmp, tmp / "centre.key", 60_000_000)
    print(f"hostile inputs ({os.cpu_count()} cores, shared machine; peak RSS of the reading process)\n")
    print("| input | file | time (ms) | peak RSS (MB) | outcome |")
    print("| --- | --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\n60 MB upload without a token to `kiosk receiver`: {answer}; the client got to send {sent}.")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"(a child's RSS includes Python and its imports; this generating process peaked at {own:.0f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
