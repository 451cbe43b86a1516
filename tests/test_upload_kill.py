"""``kiosk uploader`` killed with SIGKILL, often in the middle of an upload: the centre still ends with every
capture exactly once, with the bytes the booth sealed.

The uploader reaches the receiver through a slow link (tests/helpers/slowlink.py), so an upload takes
long enough for a kill to land inside it, and a request cut half-way never reaches the receiver. Half
the rounds kill while a request is crossing the link; the others at a random moment. The test records
what the receiver answered, per capture and per uploader process, and what the queue held claimed but
unsettled when each process died, and fails if:

* a capture is missing, stored twice, or stored with other bytes (lost or corrupted);
* a capture the receiver had already accepted is sent again, unless the process that sent it died
  before it could settle it (the only legitimate resend) - so an uploader that sends twice fails;
* no kill landed mid-upload (the test would prove nothing).

The random choices come from ``KIOSK_KILL_SEED`` (a fixed default), printed with every failure; rerun a
failure with ``KIOSK_KILL_SEED=<seed> pytest tests/test_upload_kill.py``.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.slowlink import SlowLink, slow_link
from tests.helpers.upload import Keys, make_capture, make_outbox, python_env, running_receiver, write_keys

SEED = int(os.environ.get("KIOSK_KILL_SEED", "20260601"))
ROUNDS = 10


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    return write_keys(tmp_path / "keys")


@dataclass(frozen=True)
class Answer:
    capture_id: str
    process: str  # which uploader process sent it (the round that started it)
    status: int


@dataclass
class Recorder:
    """WSGI middleware around the receiver: the answer it gave to each PUT, labelled with the uploader
    process that sent it (the link knows which client each of its server connections carries; the time
    of arrival would not do, since a killed process's last request may be answered after the next starts)."""

    link: SlowLink | None = None
    answers: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wrap(self, app: Callable[..., Iterable[bytes]]) -> Callable[..., list[bytes]]:
        def recorded(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            assert self.link is not None
            process = self.link.senders.get(int(environ["REMOTE_PORT"]), "unknown")
            statuses: list[int] = []

            def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                statuses.append(int(status.split()[0]))
                return start_response(status, headers, exc_info)

            result = app(environ, start)
            try:
                body = list(result)
            finally:
                getattr(result, "close", lambda: None)()
            if environ["REQUEST_METHOD"] == "PUT":
                with self.lock:
                    self.answers.append(Answer(environ["PATH_INFO"].rsplit("/", 1)[-1], process, statuses[0]))
            return body

        return recorded


def resends_without_cause(answers: list[Answer], unsettled_at_kill: dict[str, set[str]]) -> list[str]:
    """Requests for a capture the receiver had already accepted, not explained by a kill.

    After an accepted answer (200/201) to process P, a new request for that capture is legitimate only
    if P died with the capture still claimed (it never learnt, or never recorded, that it was stored)
    and the new request comes from a later process.
    """
    wrong = []
    for i, earlier in enumerate(answers):
        if earlier.status not in (200, 201):
            continue
        for later in answers[i + 1 :]:
            if later.capture_id != earlier.capture_id:
                continue
            killed_holding_it = earlier.capture_id in unsettled_at_kill.get(earlier.process, set())
            if later.process == earlier.process or not killed_holding_it:
                wrong.append(f"{earlier.capture_id}: accepted for {earlier.process}, sent again by {later.process}")
            break
    return wrong


ACCEPTED_0 = "accepted for round 0, sent again by"


def test_the_resend_rule_catches_a_double_send_and_allows_a_resend_after_a_kill() -> None:
    a, b = "a" * 8, "b" * 8
    twice = [Answer(a, "round 0", 201), Answer(a, "round 0", 200)]
    after_kill = [Answer(b, "round 0", 201), Answer(b, "round 1", 200)]
    assert resends_without_cause(twice + after_kill, {"round 0": {b}}) == [f"{a}: {ACCEPTED_0} round 0"]
    assert resends_without_cause(after_kill, {"round 0": set()}) == [f"{b}: {ACCEPTED_0} round 1"]


@pytest.mark.slow
def test_sigkill_rounds_store_every_capture_exactly_once(tmp_path: Path, keys: Keys) -> None:
    seed = SEED
    print(f"KIOSK_KILL_SEED={seed}")
    rng = random.Random(seed)
    data = tmp_path / "data"
    outbox = make_outbox(data, keys.public)
    submitted: list[str] = []

    def submit(n: int) -> None:
        for _ in range(n):
            capture = make_capture(photo_size=20_000)
            outbox.submit(capture)
            submitted.append(capture.capture_id)

    submit(30)
    recorder = Recorder()
    unsettled_at_kill: dict[str, set[str]] = {}
    receiver_url_store = tmp_path / "centre"
    with (
        running_receiver(keys.private, receiver_url_store, wrap=recorder.wrap) as (base, receiver),
        slow_link(base) as (link_url, link),
    ):
        recorder.link = link
        cfg = tmp_path / "kiosk.toml"
        cfg.write_text(
            f'[kiosk]\ndata_dir = "{data}"\n'
            f'[upload]\ntarget = "{link_url}"\ntoken = "tok"\ncentre_public_key = "{keys.public_path}"\n'
            "backoff_min_s = 0.05\nbackoff_max_s = 0.2\npoll_s = 0.05\ntimeout_s = 5\nmin_free_mb = 0\n"
        )
        command = [sys.executable, "-m", "kiosk", "uploader", "-c", str(cfg)]
        started = time.monotonic()
        for n in range(ROUNDS):
            link.sender = f"round {n}"  # the previous process is dead: only this one connects from now on
            proc = subprocess.Popen(command, env=python_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if n % 2 == 0:  # kill while a request is crossing the link
                if not outbox.status().counts["pending"]:
                    submit(3)  # a fast machine may have drained the queue: give this round something to send
                assert link.forwarding.wait(30), f"no upload started in round {n} (seed {seed})"
                time.sleep(rng.uniform(0.0, 0.01))
            else:  # kill at a random moment, the booth accepting students meanwhile
                time.sleep(rng.uniform(0.5, 1.0))
                submit(3)
                time.sleep(rng.uniform(0.0, 0.6))
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            assert proc.returncode == -signal.SIGKILL
            unsettled_at_kill[f"round {n}"] = {e.capture_id for e in outbox.entries("uploading")}
        for n in range(3):
            link.sender = f"final {n}"
            done = subprocess.run([*command, "--once"], env=python_env(), capture_output=True, text=True, timeout=60)
            if outbox.status().counts["pending"] == 0:
                break
        assert done.returncode == 0, done.stderr
        assert time.monotonic() - started < 90

    resent = len(recorder.answers) - len(submitted)
    context = f"(KIOSK_KILL_SEED={seed}; cut on the link: {link.cut}; unsettled at kill: {unsettled_at_kill})"
    print(f"{len(submitted)} captures, {resent} accepted again after a kill, {context}")
    # The kills landed inside uploads: requests cut on the link...
    assert link.cut >= ROUNDS // 4, f"too few requests cut mid-transfer {context}"
    stored = sorted(p.stem for p in receiver_url_store.glob("*.xce"))
    missing = sorted(set(submitted) - set(stored))
    assert stored == sorted(submitted), f"lost {missing} or unexpected captures {context}"
    status = outbox.status()
    assert status.counts == {"pending": 0, "uploading": 0, "done": len(submitted), "quarantined": 0}, context
    for cid in submitted:
        sent = outbox.path_for(cid).read_bytes()
        assert (receiver_url_store / f"{cid}.xce").read_bytes() == sent, f"{cid} differs {context}"
    assert dict(receiver.store.writes) == dict.fromkeys(submitted, 1), context
    assert not list(receiver_url_store.glob(".*.tmp")), context
    assert {a.status for a in recorder.answers} <= {200, 201}, f"{recorder.answers} {context}"
    assert resends_without_cause(recorder.answers, unsettled_at_kill) == [], context
    # ...and the uploader was holding a claimed, unsettled capture when most of them landed.
    assert sum(1 for ids in unsettled_at_kill.values() if ids) >= ROUNDS // 2, f"too few kills mid-upload {context}"
    outbox.close()
