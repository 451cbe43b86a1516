"""Prometheus metrics for the booth, in the text format, from prometheus_client.

One registry per staff app (no process-wide default registry), holding one custom collector that reads
the health snapshot and today's figures at scrape time, so the numbers are never older than the scrape
and nothing runs between scrapes. Every metric name starts with ``kiosk_``; a value that cannot be read
(no thermal sensor on a laptop, no vcgencmd) is left out rather than reported as zero. The README's
"Metrics" section lists them all.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily, Metric

log = logging.getLogger(__name__)

MB = 1024 * 1024
BOOTH_STATES = ("idle", "confirm", "pose", "countdown", "capture", "analyse", "review", "ask", "done", "paused")
LEVELS = {"ok": 0, "warn": 1, "bad": 2}


def _gauge(name: str, doc: str, value: float | bool | None) -> Iterator[Metric]:
    if value is not None:
        yield GaugeMetricFamily(name, doc, value=float(value))


def _labelled(name: str, doc: str, label: str, values: dict[str, float | bool | None]) -> Iterator[Metric]:
    family = GaugeMetricFamily(name, doc, labels=[label])
    for key, value in values.items():
        if value is not None:
            family.add_metric([key], float(value))
    yield family


class BoothCollector:
    """Reads the console's health snapshot and today's overview each time it is scraped."""

    def __init__(self, console: Any) -> None:
        self.console = console

    def describe(self) -> list[Metric]:
        return []  # nothing to read at registration; names are documented in the README

    def collect(self) -> Iterator[Metric]:
        try:
            health = self.console.health.snapshot()
            overview = self.console.overview()
        except Exception:
            log.exception("metrics: cannot read the booth's health")
            yield from _gauge("kiosk_up", "1 when the booth's health could be read", 0)
            return
        yield from _gauge("kiosk_up", "1 when the booth's health could be read", 1)
        yield InfoMetricFamily(
            "kiosk", "This booth", value={"kiosk_id": health.kiosk_id, "profile": health.model.profile or ""}
        )
        yield from _gauge("kiosk_health_level", "0 all well, 1 something to look at, 2 a problem", LEVELS[health.level])
        b = health.booth
        yield from _gauge("kiosk_ready", "1 when the booth can take a student now", b.ready)
        yield from _gauge("kiosk_paused", "1 while staff have paused the booth", b.paused)
        yield from _labelled(
            "kiosk_booth_state", "1 for the state the booth is in", "state", {s: s == b.state for s in BOOTH_STATES}
        )
        yield from _gauge("kiosk_booth_loop_age_seconds", "Seconds since the booth loop last stepped", b.loop_age_s)
        yield from self._camera(health)
        yield from self._gpio(health)
        m = health.model
        yield from _gauge("kiosk_model_loaded", "1 when the compliance model is loaded", m.loaded)
        yield from _gauge(
            "kiosk_check_last_duration_seconds",
            "How long the last compliance check took",
            None if m.last_check_ms is None else m.last_check_ms / 1000,
        )
        yield from self._system(health)
        yield from self._queue(health)
        yield from self._today(overview)

    @staticmethod
    def _camera(health: Any) -> Iterator[Metric]:
        c = health.camera
        if c is None:
            return
        yield from _gauge("kiosk_camera_healthy", "1 while the camera delivers frames", c.healthy)
        yield from _gauge("kiosk_camera_frame_age_seconds", "Seconds since the last preview frame", c.last_frame_age_s)
        yield from _gauge("kiosk_camera_fps", "Preview frames per second", c.fps)
        yield CounterMetricFamily("kiosk_camera_reopens", "Camera reopens after a fault", value=c.reopen_count)

    @staticmethod
    def _gpio(health: Any) -> Iterator[Metric]:
        g = health.gpio
        if g.lights is not None:
            yield from _labelled("kiosk_light_level", "What each light pin drives, 0 to 1", "light", g.lights)
        yield from _gauge("kiosk_button_pressed", "1 while the big button is held down", g.button_pressed)

    @staticmethod
    def _system(health: Any) -> Iterator[Metric]:
        d, s = health.disk, health.system
        yield from _gauge("kiosk_disk_free_bytes", "Free space for the data folder", _bytes(d.free_mb))
        yield from _gauge("kiosk_disk_total_bytes", "Size of the data folder's file system", _bytes(d.total_mb))
        yield from _gauge(
            "kiosk_disk_min_free_bytes", "Free space below which the booth refuses students", _bytes(d.min_free_mb)
        )
        yield from _gauge("kiosk_cpu_temperature_celsius", "CPU temperature", s.cpu_temp_c)
        yield from _gauge("kiosk_under_voltage", "1 while the power supply is too weak", s.under_voltage_now)
        yield from _gauge("kiosk_throttled", "1 while the CPU is throttled or capped", s.throttled_now)
        yield from _gauge(
            "kiosk_under_voltage_occurred", "1 if under-voltage happened since boot", s.under_voltage_occurred
        )
        yield from _gauge("kiosk_throttled_occurred", "1 if throttling happened since boot", s.throttled_occurred)
        yield from _gauge("kiosk_memory_total_bytes", "Memory in total", _bytes(s.memory_total_mb))
        yield from _gauge("kiosk_memory_available_bytes", "Memory available", _bytes(s.memory_available_mb))
        yield from _gauge("kiosk_clock_synchronised", "1 when the clock is NTP-synchronised", s.clock_synchronised)

    @staticmethod
    def _queue(health: Any) -> Iterator[Metric]:
        q = health.queue
        from kiosk.upload.state import CENTRE_UNREACHABLE, SENDING, STOPPED, STORAGE_ERROR

        if q.uploader_state is not None:
            yield from _labelled(
                "kiosk_uploader_state",
                "1 for the state the uploader last reported (storage-error: the queue database or disk failed)",
                "state",
                {s: q.uploader_state == s for s in (SENDING, CENTRE_UNREACHABLE, STORAGE_ERROR, STOPPED)},
            )
        if not q.available:
            return
        yield from _labelled(
            "kiosk_queue_entries",
            "Sealed captures in the upload queue, by state",
            "state",
            {
                "pending": q.pending,
                "uploading": q.uploading,
                "done": q.done,
                "quarantined": q.quarantined,
                "voided": q.voided,
            },
        )
        yield from _gauge(
            "kiosk_queue_oldest_pending_age_seconds", "Age of the oldest capture waiting", q.oldest_pending_age_s
        )
        yield from _gauge(
            "kiosk_queue_last_success_timestamp_seconds", "When the centre last confirmed a capture", q.last_success_at
        )
        yield from _gauge(
            "kiosk_queue_last_error_age_seconds", "Seconds since the last upload error", q.last_error_age_s
        )

    @staticmethod
    def _today(overview: Any) -> Iterator[Metric]:
        t = overview.today
        yield from _gauge("kiosk_students_today", "Students who scanned a code today", t.students)
        yield from _gauge("kiosk_captures_today", "Photos taken today (every attempt)", t.captures)
        yield from _gauge("kiosk_accepted_today", "Photos accepted today (voided ones excluded)", t.accepted)
        yield from _gauge("kiosk_voided_today", "Photos voided by staff today", t.voided)
        yield from _gauge("kiosk_photos_rejected_today", "Photos that failed the check today", t.rejected)
        yield from _labelled("kiosk_rejections_today", "Rejected photos today, by failed check", "check", t.rejections)
        yield from _labelled(
            "kiosk_questions_asked_today",
            "Passing photos a check was unsure about and asked, by check",
            "check",
            t.asked,
        )
        yield from _labelled(
            "kiosk_questions_answered_today",
            "Questions the student answered 'does not apply', by check",
            "check",
            t.answered,
        )
        current = overview.progress.current
        yield from _gauge("kiosk_batch_running", "1 while a scheduled batch's slot is on", current is not None)
        if current is not None:
            yield from _gauge("kiosk_batch_expected", "Students expected in the current batch", current.expected)
            yield from _gauge("kiosk_batch_captured", "Students photographed in the current batch", current.captured)
            yield from _gauge(
                "kiosk_batch_needed_per_minute", "Pace needed to finish the batch on time", current.needed_per_min
            )
            yield from _gauge("kiosk_batch_actual_per_minute", "Pace so far in the batch", current.actual_per_min)
            yield from _gauge("kiosk_batch_minutes_left", "Minutes until the batch's slot ends", current.minutes_left)
            yield from _gauge(
                "kiosk_batch_on_track", "1 while the pace so far finishes the batch in its slot", current.on_track
            )


def _bytes(mb: float | None) -> float | None:
    return None if mb is None else mb * MB


def build_registry(console: Any) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(BoothCollector(console))
    return registry


def exposition(registry: CollectorRegistry) -> tuple[bytes, str]:
    """The registry in Prometheus text format, and its content type."""
    return generate_latest(registry), CONTENT_TYPE_LATEST
