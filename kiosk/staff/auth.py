"""Staff sign-in: the password file, the lockout after repeated failures, and session expiry.

* Passwords are set with ``kiosk passwd`` and kept as werkzeug scrypt hashes in ``staff-passwords`` in
  the data folder (mode 0600, one ``user:hash`` line each). The file is read at every sign-in, so a new
  password works at once, without restarting the booth.
* A session remembers a fingerprint of the password hash it signed in with: changing a password signs
  out every session of that user.
* Failed sign-ins are counted per user name and per address; ``max_attempts`` failures within the
  lockout time lock that name or address for the lockout time, even for the right password.
* A session ends after ``idle_s`` without a page load or action (the dashboard's background refresh
  does not count as activity), and in any case ``max_age_s`` after sign-in.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

from kiosk.files import atomic_write

PASSWORD_FILE = "staff-passwords"
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


@dataclass
class LoginGuard:
    """Counts failed sign-ins per key ("user:NAME", "addr:IP") and locks a key that fails too often."""

    max_attempts: int
    lockout_s: float
    max_keys: int = 10_000
    _failures: dict[str, list[float]] = field(default_factory=dict)
    _locked_until: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def locked_for(self, keys: Iterable[str], now: float) -> float:
        """Seconds until every one of ``keys`` may try again (0: they may try now)."""
        with self._lock:
            return max([self._locked_until.get(k, 0.0) - now for k in keys] + [0.0])

    def failed(self, keys: Iterable[str], now: float) -> bool:
        """Count a failure against each key; True when this failure locked one of them."""
        locked = False
        with self._lock:
            self._prune(now)
            for key in keys:
                recent = [t for t in self._failures.get(key, []) if now - t < self.lockout_s]
                recent.append(now)
                if len(recent) >= self.max_attempts:
                    self._locked_until[key] = now + self.lockout_s
                    self._failures.pop(key, None)
                    locked = True
                else:
                    self._failures[key] = recent
        return locked

    def succeeded(self, keys: Iterable[str]) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)

    def _prune(self, now: float) -> None:
        """Forget old failures and ended lockouts, so guessing from many addresses cannot fill memory."""
        self._locked_until = {k: t for k, t in self._locked_until.items() if t > now}
        if len(self._failures) > self.max_keys:
            self._failures = {k: ts for k, ts in self._failures.items() if ts and now - ts[-1] < self.lockout_s}
            while len(self._failures) > self.max_keys:
                self._failures.pop(next(iter(self._failures)))


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

    def begin(self, session: MutableMapping[str, Any], user: str, fingerprint: str, now: float) -> None:
        session.clear()  # a fresh session (and CSRF token) at every sign-in
        session.update(user=user, fp=fingerprint, login_at=now, seen_at=now)

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
        return SessionCheck(user)

    @staticmethod
    def touch(session: MutableMapping[str, Any], now: float) -> None:
        session["seen_at"] = now

    @staticmethod
    def end(session: MutableMapping[str, Any]) -> None:
        session.clear()
