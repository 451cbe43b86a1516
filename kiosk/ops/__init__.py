"""Running the booth in the field: logs, notifications to staff, Prometheus metrics and the probes behind health
checks.
"""
