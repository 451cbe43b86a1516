"""Running the booth in the field: logs, systemd notifications (ready, watchdog), Prometheus metrics and the
probes behind health checks.
"""
