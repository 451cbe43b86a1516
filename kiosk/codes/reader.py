"""Reading a QR text with whichever decoder owns its prefix, and building that set from the config.

A collection centre's own format plugs in beside XC1 as ``"package.module:ClassName"`` in
``codes.decoders``: a class constructed with ``keyring_path`` and ``max_clock_skew_s`` keyword arguments
that has a ``prefix`` and ``decode(text, now) -> SubjectInfo``. A plug-in that misbehaves (raises
something else, returns the wrong thing) is turned into a ``CodeError`` so it can never crash the booth,
and whatever it returns is re-masked here when it shows more of the name or ID number than the rule allows.
"""

from __future__ import annotations

import importlib
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from kiosk.codes.errors import CodeConfigError
from kiosk.codes.keyring import Keyring
from kiosk.codes.outcomes import MALFORMED, NOT_A_CAPTURE_CODE, CodeError
from kiosk.codes.subject import enforce_masking, is_masked
from kiosk.codes.xc1 import DEFAULT_MAX_AGE_S, XC1Decoder
from kiosk.core.capture import SubjectInfo

log = logging.getLogger(__name__)

PLUGIN_RE = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")


@runtime_checkable
class Decoder(Protocol):
    """One code format. ``decode`` returns the masked subject or raises ``CodeError``."""

    @property
    def prefix(self) -> str: ...

    def decode(self, text: str, now: float) -> SubjectInfo: ...


class CodeReader:
    """Routes a QR text to the decoder whose prefix it starts with (the longest, if several match)."""

    def __init__(self, decoders: Sequence[Decoder]) -> None:
        prefixes = [d.prefix for d in decoders]
        dup = {p for p in prefixes if prefixes.count(p) > 1}
        if dup:
            raise CodeConfigError(f"codes.decoders: two decoders claim the prefix {sorted(dup)[0]!r}")
        self._decoders = sorted(decoders, key=lambda d: len(d.prefix), reverse=True)

    @property
    def prefixes(self) -> tuple[str, ...]:
        return tuple(d.prefix for d in self._decoders)

    def decode(self, text: str, now: float) -> SubjectInfo:
        if not isinstance(text, str):
            raise CodeError(NOT_A_CAPTURE_CODE)
        for decoder in self._decoders:
            if text.startswith(decoder.prefix):
                return _guarded(decoder, text, now)
        raise CodeError(NOT_A_CAPTURE_CODE)


def _guarded(decoder: Decoder, text: str, now: float) -> SubjectInfo:
    try:
        subject = decoder.decode(text, now)
    except CodeError:
        raise
    except Exception as exc:  # a plug-in bug must not take the booth down
        log.exception("decoder %s failed", type(decoder).__name__)
        raise CodeError(MALFORMED, f"decoder {type(decoder).__name__} failed: {type(exc).__name__}") from None
    if not isinstance(subject, SubjectInfo):
        raise CodeError(MALFORMED, f"decoder {type(decoder).__name__} returned {type(subject).__name__}")
    if not is_masked(subject):
        # the code itself breaks the masking rule; show and keep only the masked form (never log the values)
        log.warning("decoder %s returned an identity beyond the masking rule; re-masked", type(decoder).__name__)
        subject = enforce_masking(subject)
    return subject


def load_code_reader(
    names: Sequence[str],
    keyring_path: Path | str,
    max_clock_skew_s: float = 600,
    max_age_s: float = DEFAULT_MAX_AGE_S,
) -> CodeReader:
    """Build the reader for ``codes.decoders``: ``"xc1"`` or ``"package.module:ClassName"`` entries.

    ``max_age_s`` is XC1's limit for codes without ``exp``; a plug-in format keeps its own expiry rules.
    """
    if not names:
        raise CodeConfigError("codes.decoders: expected at least one decoder")
    decoders: list[Decoder] = []
    for name in names:
        if name == "xc1":
            decoders.append(XC1Decoder(Keyring.load(keyring_path), max_clock_skew_s, max_age_s))
        else:
            decoders.append(_load_plugin(name, keyring_path, max_clock_skew_s))
    return CodeReader(decoders)


def _load_plugin(name: str, keyring_path: Path | str, max_clock_skew_s: float) -> Decoder:
    where = f"codes.decoders: {name!r}"
    if not isinstance(name, str) or PLUGIN_RE.fullmatch(name) is None:
        raise CodeConfigError(f"{where}: expected 'xc1' or 'package.module:ClassName'")
    module_name, _, class_name = name.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise CodeConfigError(f"{where}: cannot import {module_name} ({type(exc).__name__}: {exc})") from None
    cls = getattr(module, class_name, None)
    if cls is None:
        raise CodeConfigError(f"{where}: module {module_name} has no {class_name}")
    try:
        decoder = cls(keyring_path=keyring_path, max_clock_skew_s=max_clock_skew_s)
    except CodeConfigError:
        raise
    except Exception as exc:
        raise CodeConfigError(f"{where}: cannot create decoder ({type(exc).__name__}: {exc})") from None
    prefix = getattr(decoder, "prefix", None)
    if not isinstance(prefix, str) or not prefix or not callable(getattr(decoder, "decode", None)):
        raise CodeConfigError(f"{where}: expected a non-empty 'prefix' and a 'decode(text, now)' method")
    return decoder
