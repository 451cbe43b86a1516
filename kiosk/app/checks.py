"""What one self-test check returns, how a run of checks is timed, and how the report reads.

A check is a small function that returns one ``CheckResult``: ok, fail or skip, one line of detail, and
for a failure a hint a technician can act on. ``run_checks`` runs them in order, times each, and turns a
check that raises into a failure, never a traceback. The checks themselves live by job:
``kiosk.app.hardware`` (the booth's parts), ``kiosk.app.surroundings`` (disk, clock, upload target) and
``kiosk.app.readiness`` (the first-boot steps); ``kiosk.app.selftest`` picks them for a configuration.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    OK = "ok"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome: ``detail`` says what was found, ``hint`` what to do about a failure."""

    name: str
    status: Status
    detail: str
    hint: str = ""
    seconds: float = 0.0
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status is Status.FAIL

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status.value,
            "detail": self.detail,
            "hint": self.hint,
            "seconds": round(self.seconds, 3),
            "data": self.data,
        }


def ok(name: str, detail: str, **data: Any) -> CheckResult:
    return CheckResult(name, Status.OK, detail, data=data)


def fail(name: str, detail: str, hint: str, **data: Any) -> CheckResult:
    return CheckResult(name, Status.FAIL, detail, hint, data=data)


def skip(name: str, detail: str, **data: Any) -> CheckResult:
    return CheckResult(name, Status.SKIP, detail, data=data)


@dataclass(frozen=True)
class Report:
    kiosk_id: str
    results: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        return not any(r.failed for r in self.results)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "kiosk_id": self.kiosk_id, "checks": [r.to_dict() for r in self.results]}


Check = tuple[str, Callable[[], CheckResult]]


def run_checks(
    kiosk_id: str,
    checks: Iterable[Check],
    on_result: Callable[[CheckResult], None] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Report:
    """Run each check, timing it; a check that raises is reported as failed, never as a traceback.

    ``on_result`` sees each result as soon as it is known, so a person watching sees progress.
    """
    results = []
    for name, check in checks:
        started = clock()
        try:
            result = check()
        except Exception as exc:
            result = fail(name, f"unexpected error: {describe(exc)}", "run again with -v and report the output")
        result = _with_seconds(result, clock() - started)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return Report(kiosk_id, tuple(results))


def _with_seconds(result: CheckResult, seconds: float) -> CheckResult:
    return CheckResult(result.name, result.status, result.detail, result.hint, seconds, result.data)


# -- helpers ---------------------------------------------------------------------------------------


def describe(exc: BaseException | object) -> str:
    if not isinstance(exc, BaseException):
        return str(exc)
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def close_quietly(thing: Any) -> None:
    """Close ``thing``; the check already has its answer, and a failing close must not replace it."""
    with contextlib.suppress(Exception):
        thing.close()


# -- the report, for people ------------------------------------------------------------------------

NAME_WIDTH = 11  # the longest check name, "credentials"
_MARKS = {Status.OK: "ok", Status.FAIL: "FAIL", Status.SKIP: "skip"}


def format_result(result: CheckResult) -> str:
    """One table row (and a hint row under a failure): ``  FAIL  lights  fill_light reads 0.00 ...``."""
    row = f"  {_MARKS[result.status]:<5} {result.name:<{NAME_WIDTH}}  {result.detail}  ({result.seconds:.1f} s)"
    if result.hint:
        row += f"\n  {'':<5} {'':<{NAME_WIDTH}}  hint: {result.hint}"
    return row


def format_summary(report: Report) -> str:
    failed = sum(r.failed for r in report.results)
    return "all checks passed" if failed == 0 else f"{failed} check(s) failed"


def format_table(report: Report) -> str:
    """The whole report as the ok/FAIL table, with a summary line."""
    return "\n".join([*(format_result(r) for r in report.results), "", format_summary(report)])
