"""Staff sign-in: the password file, the lockout after repeated failures, and session expiry.

* Passwords are set with ``kiosk passwd`` and kept as werkzeug scrypt hashes in ``staff-passwords`` in
  the data folder (mode 0600, one ``user:hash`` line each). The file is read at every sign-in, so a new
  password works at once, without restarting the booth.
* A session remembers a fingerprint of the password hash it signed in with and the user's session
  generation, kept on the booth in ``staff-sessions``: signing out and changing a password bump the
  generation, so a copied cookie stops working at once instead of living out its 12 hours.
* Failed sign-ins are counted per (user name, address): ``max_attempts`` failures within the lockout
  time lock that pair, even for the right password, for the lockout time, doubled at each further
  lockout (up to a day). Someone guessing from other addresses cannot lock staff out of their own
  device. Each attempt is reserved before the password is hashed, so parallel guesses cannot get more
  tries than the limit. Lockouts live in the booth's memory: restarting the booth clears them.
* A session ends after ``idle_s`` without a page load or action (the dashboard's background refresh
  does not count as activity), and in any case ``max_age_s`` after sign-in.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import threading
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

from kiosk.core.files import atomic_write

PASSWORD_FILE = "staff-passwords"
GENERATIONS_FILE = "staff-sessions"
MAX_LOCKOUT_S = 24 * 3600.0
DEFAULT_USER = "staff"
HASH_METHOD = "scrypt"  # werkzeug's default scrypt (n=32768, r=8, p=1): 32 MB of memory per try
MIN_PASSWORD = 8
MAX_PASSWORD = 256
_USER = re.compile(r"[A-Za-z0-9_.-]{1,32}")


class PasswordError(ValueError):
    """A user name or password that cannot be used; phrased for the person typing it."""


def check_user_name(user: str) -> str:
    if not _USER.fullmatch(user):
        raise PasswordError(f"user name {user!r}: use 1 to 32 letters, digits, '.', '_' or '-'")
    return user


class PasswordFile:
    """The staff password hashes of one data folder."""

    def __init__(self, path: Path, method: str = HASH_METHOD) -> None:
        self.path = Path(path)
        self.method = method
        self._dummy: str | None = None
        self.generations = SessionGenerations(self.path.with_name(GENERATIONS_FILE))

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> PasswordFile:
        return cls(Path(data_dir) / PASSWORD_FILE)

    def _read(self) -> dict[str, str]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        users: dict[str, str] = {}
        for line in text.splitlines():
            user, sep, hashed = line.strip().partition(":")
            if sep and _USER.fullmatch(user) and hashed:
                users[user] = hashed
        return users

    def users(self) -> list[str]:
        return sorted(self._read())

    def set(self, user: str, password: str) -> None:
        """Store ``user``'s new password (scrypt); other users are kept."""
        check_user_name(user)
        if len(password) < MIN_PASSWORD:
            raise PasswordError(f"the password is too short: use at least {MIN_PASSWORD} characters")
        if len(password) > MAX_PASSWORD:
            raise PasswordError(f"the password is too long: use at most {MAX_PASSWORD} characters")
        users = self._read()
        users[user] = generate_password_hash(password, method=self.method)
        text = "".join(f"{name}:{hashed}\n" for name, hashed in sorted(users.items()))
        atomic_write(self.path, text.encode("utf-8"), mode=0o600)
        self.generations.bump(user)

    def verify(self, user: str, password: str) -> bool:
        """Whether ``password`` is ``user``'s; as slow for an unknown user as for a known one."""
        hashed = self._read().get(user)
        if hashed is None:
            if self._dummy is None:
                self._dummy = generate_password_hash("not a password", method=self.method)
            check_password_hash(self._dummy, password[:MAX_PASSWORD])
            return False
        return check_password_hash(hashed, password[:MAX_PASSWORD])

    def fingerprint(self, user: str) -> str | None:
        """A short digest of ``user``'s hash: sessions keep it, so a password change ends them."""
        hashed = self._read().get(user)
        return None if hashed is None else hashlib.sha256(hashed.encode()).hexdigest()[:16]


class SessionGenerations:
    """Per-user session generation numbers in a small JSON file (mode 0600) beside the passwords.

    A session carries the generation it began in; bumping it (sign-out, password change) ends every
    session of that user, including copies of the cookie. Kept on disk so a restart does not revive them.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def _read(self) -> dict[str, int]:
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {"*": -1}  # unreadable: no stored session matches, everyone signs in again
        if not isinstance(doc, dict):
            return {"*": -1}
        return {k: v for k, v in doc.items() if isinstance(k, str) and isinstance(v, int)}

    def get(self, user: str) -> int:
        gens = self._read()
        return -1 if "*" in gens else gens.get(user, 0)

    def bump(self, user: str) -> int:
        with self._lock:
            gens = self._read()
            gens.pop("*", None)
            gens[user] = gens.get(user, 0) + 1
            atomic_write(self.path, json.dumps(gens, sort_keys=True).encode("utf-8"), mode=0o600)
            with contextlib.suppress(OSError):
                os.chmod(self.path, 0o600)
            return gens[user]


def attempt_key(user: str, remote: str) -> str:
    """The lockout key: one user name from one address."""
    return f"{user.lower()}@{remote}"


@dataclass
class LoginGuard:
    """Counts failed sign-ins per (user, address) key and locks a key that fails too often.

    ``reserve`` takes an attempt before the password is hashed, so N parallel guesses count as N even
    before any of them has finished; each further lockout of the same key lasts twice as long.
    """

    max_attempts: int
    lockout_s: float
    max_keys: int = 10_000
    max_lockout_s: float = MAX_LOCKOUT_S
    _failures: dict[str, list[float]] = field(default_factory=dict)
    _inflight: dict[str, int] = field(default_factory=dict)
    _strikes: dict[str, tuple[int, float]] = field(default_factory=dict)  # key -> (lockouts, last at)
    _locked_until: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def locked_for(self, key: str, now: float) -> float:
        """Seconds until ``key`` may try again (0: it may try now)."""
        with self._lock:
            return max(self._locked_until.get(key, 0.0) - now, 0.0)

    def reserve(self, key: str, now: float) -> float:
        """Take one attempt for ``key``: 0 when granted (then call ``failed`` or ``succeeded``), else the wait."""
        with self._lock:
            self._prune(now)
            wait = self._locked_until.get(key, 0.0) - now
            if wait > 0:
                return wait
            recent = [t for t in self._failures.get(key, []) if now - t < self.lockout_s]
            if len(recent) + self._inflight.get(key, 0) >= self.max_attempts:
                return self._lock_key(key, now)
            self._inflight[key] = self._inflight.get(key, 0) + 1
            return 0.0

    def failed(self, key: str, now: float) -> bool:
        """Count a failure of a reserved attempt; True when this failure locked the key."""
        with self._lock:
            self._release(key)
            recent = [t for t in self._failures.get(key, []) if now - t < self.lockout_s]
            recent.append(now)
            if len(recent) >= self.max_attempts:
                self._lock_key(key, now)
                return True
            self._failures[key] = recent
            return False

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._release(key)
            self._failures.pop(key, None)
            self._strikes.pop(key, None)

    def release(self, key: str) -> None:
        """Give back a reserved attempt that neither failed nor succeeded (the check itself broke)."""
        with self._lock:
            self._release(key)

    def unlock(self, user: str | None = None) -> int:
        """End the lockouts of ``user`` (every user when None); return how many keys were unlocked."""
        with self._lock:
            keys = [k for k in self._locked_until if user is None or k.rsplit("@", 1)[0] == user.lower()]
            for key in keys:
                self._locked_until.pop(key, None)
                self._failures.pop(key, None)
                self._strikes.pop(key, None)
            return len(keys)

    def _release(self, key: str) -> None:
        left = self._inflight.get(key, 0) - 1
        if left > 0:
            self._inflight[key] = left
        else:
            self._inflight.pop(key, None)

    def _lock_key(self, key: str, now: float) -> float:
        strikes, last = self._strikes.get(key, (0, now))
        if now - last > self.max_lockout_s:  # a day without trouble: start again from the short lockout
            strikes = 0
        wait = min(self.lockout_s * (2**strikes), self.max_lockout_s)
        self._strikes[key] = (strikes + 1, now)
        self._locked_until[key] = now + wait
        self._failures.pop(key, None)
        return wait

    def _prune(self, now: float) -> None:
        """Forget old failures and ended lockouts, so guessing from many addresses cannot fill memory."""
        self._locked_until = {k: t for k, t in self._locked_until.items() if t > now}
        if len(self._failures) > self.max_keys:
            self._failures = {k: ts for k, ts in self._failures.items() if ts and now - ts[-1] < self.lockout_s}
            while len(self._failures) > self.max_keys:
                self._failures.pop(next(iter(self._failures)))
        if len(self._strikes) > self.max_keys:
            self._strikes = {k: v for k, v in self._strikes.items() if now - v[1] < self.max_lockout_s}


@dataclass(frozen=True)
class SessionCheck:
    """Who the session belongs to, or why it does not count (``"none"``, ``"expired"``, ``"changed"``)."""

    user: str | None
    reason: str = ""


@dataclass(frozen=True)
class SessionPolicy:
    """Starts, checks and refreshes a signed-in session held in Flask's signed cookie."""

    idle_s: float
    max_age_s: float = 12 * 3600.0

    def begin(
        self, session: MutableMapping[str, Any], user: str, fingerprint: str, now: float, generation: int = 0
    ) -> None:
        session.clear()  # a fresh session (and CSRF token) at every sign-in
        session.update(user=user, fp=fingerprint, gen=generation, login_at=now, seen_at=now)

    def check(self, session: MutableMapping[str, Any], now: float, passwords: PasswordFile) -> SessionCheck:
        user = session.get("user")
        if not isinstance(user, str):
            return SessionCheck(None, "none")
        seen_at = float(session.get("seen_at", 0.0))
        login_at = float(session.get("login_at", 0.0))
        if now - seen_at > self.idle_s or now - login_at > self.max_age_s or now < login_at - 60:
            return SessionCheck(None, "expired")
        if passwords.fingerprint(user) != session.get("fp"):
            return SessionCheck(None, "changed")
        if passwords.generations.get(user) != session.get("gen"):
            return SessionCheck(None, "ended")  # signed out elsewhere: this cookie is a leftover or a copy
        return SessionCheck(user)

    @staticmethod
    def touch(session: MutableMapping[str, Any], now: float) -> None:
        session["seen_at"] = now

    @staticmethod
    def end(session: MutableMapping[str, Any]) -> None:
        session.clear()
