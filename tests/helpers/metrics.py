"""Reading the staff console's /metrics back through prometheus_client's own parser."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def scrape(rig) -> dict[str, dict[tuple, float]]:
    rig.clock.advance(5)  # past the health cache
    resp = rig.client.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/plain; version=")
    out: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(resp.get_data(as_text=True)):
        for sample in family.samples:
            out.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def one(metrics, name, **labels) -> float:
    return metrics[name][tuple(sorted(labels.items()))]
