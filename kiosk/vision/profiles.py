"""Policy profiles: every threshold a check uses lives in a TOML file in ``profiles/``, not in code.

``chsi.toml`` is the complete schema; another profile names it in ``inherits`` and overrides keys.
A profile that names an unknown key, gives a value of the wrong type, or does not exist is refused with
one ``ProfileError`` naming the problem, so a typo in a school's profile cannot silently loosen a rule.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

_BASE = "chsi"


class ProfileError(ValueError):
    """The profile does not exist or does not fit the schema."""


def available() -> list[str]:
    folder = resources.files("kiosk.vision") / "profiles"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def _read(name: str) -> dict[str, Any]:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ProfileError(f"bad profile name {name!r}")
    res = resources.files("kiosk.vision") / "profiles" / f"{name}.toml"
    if not res.is_file():
        raise ProfileError(f"unknown compliance profile {name!r} (available: {', '.join(available())})")
    try:
        return tomllib.loads(res.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"profile {name!r}: {exc}") from exc


def _same_kind(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, int | float):
        return isinstance(value, int | float)
    if isinstance(default, list):
        return isinstance(value, list) and len(value) == len(default)
    return isinstance(value, type(default))


def _merge(base: dict[str, Any], over: dict[str, Any], where: str, profile: str) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        path = f"{where}{key}"
        if key not in base:
            if where == "severity.":
                if value not in ("fail", "warn"):
                    raise ProfileError(f'profile {profile!r}: {path} must be "fail" or "warn"')
                out[key] = value
                continue
            raise ProfileError(f"profile {profile!r}: unknown key {path!r}")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ProfileError(f"profile {profile!r}: {path!r} must be a table")
            out[key] = _merge(base[key], value, path + ".", profile)
        elif not _same_kind(base[key], value):
            raise ProfileError(f"profile {profile!r}: {path!r} has the wrong type ({value!r})")
        else:
            out[key] = value
    return out


@dataclass(frozen=True)
class Profile:
    name: str
    data: dict[str, Any]

    def get(self, dotted: str) -> Any:
        """A value by dotted key, e.g. ``pose.yaw_deg``; a missing key is a ProfileError."""
        node: Any = self.data
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                raise ProfileError(f"profile {self.name!r} has no key {dotted!r}")
            node = node[part]
        return node

    def severity(self, check_id: str) -> str:
        return str(self.data.get("severity", {}).get(check_id, "fail"))


def load_profile(name: str) -> Profile:
    base = _read(_BASE)
    if name == _BASE:
        return Profile(name, base)
    data = _read(name)
    parent = data.pop("inherits", _BASE)
    if parent != _BASE:
        raise ProfileError(f"profile {name!r}: inherits must be {_BASE!r}")
    return Profile(name, _merge(base, data, "", name))
