"""The alert rules and the fleet dashboard in deploy/: valid for Prometheus (promtool, Debian's
``prometheus`` package, installed by bootstrap --test), unit-tested, and built only on metric names the
booth really exports (the README's "Metrics" section, which test_metrics keeps equal to /metrics)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RULES = REPO / "deploy" / "prometheus" / "kiosk-alerts.yml"
RULE_TESTS = REPO / "deploy" / "prometheus" / "kiosk-alerts.test.yml"
DASHBOARD = REPO / "deploy" / "grafana" / "kiosk-fleet.json"
PROMETHEUS_OWN = {"up", "ALERTS"}  # series Prometheus makes itself
ALERTS = {
    "KioskBoothDown",
    "KioskCameraStalled",
    "KioskUploadQueueOld",
    "KioskUploadQueueGrowing",
    "KioskUploadErrors",
    "KioskDiskLow",
    "KioskRejectRateJump",
    "KioskBehindSchedule",
}


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        why = "promtool is not installed: run scripts/bootstrap.sh --test (Debian package prometheus)"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    return found


def run(promtool: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([promtool, *args], cwd=RULES.parent, capture_output=True, text=True, timeout=120)


def documented_metrics() -> set[str]:
    section = (REPO / "README.md").read_text(encoding="utf-8").split("## Metrics", 1)[1]
    return set(re.findall(r"`(kiosk_[a-z_]+)`", section))


def used_metrics(text: str) -> set[str]:
    return {m for m in re.findall(r"\b([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:\{|\[|\)|\s|$)", text) if m.startswith("kiosk_")}


def test_rules_are_valid(promtool):
    done = run(promtool, "check", "rules", RULES.name)
    assert done.returncode == 0, done.stdout + done.stderr


def test_rules_unit_tests_pass(promtool):
    done = run(promtool, "test", "rules", RULE_TESTS.name)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_every_asked_alert_is_there_and_tested():
    rules = RULES.read_text(encoding="utf-8")
    tests = RULE_TESTS.read_text(encoding="utf-8")
    defined = set(re.findall(r"alert: (\w+)", rules))
    assert defined >= ALERTS
    assert set(re.findall(r"alertname: (\w+)", tests)) >= ALERTS


def test_rules_and_dashboard_use_only_exported_metrics():
    exported = documented_metrics()
    exprs = re.findall(r"expr: (?:>-\n)?((?:.+\n?)+?)\s+(?:for|labels):", RULES.read_text(encoding="utf-8"))
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs += [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert exprs
    used = set().union(*(used_metrics(e) for e in exprs))
    assert used and not used - exported, f"not exported by the booth: {sorted(used - exported)}"


def test_dashboard_is_grafana_json_for_a_fleet():
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert dashboard["uid"] and dashboard["title"]
    names = {v["name"] for v in dashboard["templating"]["list"]}
    assert {"datasource", "instance"} <= names
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)) >= 10
    for panel in dashboard["panels"]:
        assert set(panel["gridPos"]) == {"x", "y", "w", "h"} and panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        assert all('instance=~"$instance"' in t["expr"] for t in panel["targets"]), panel["title"]
