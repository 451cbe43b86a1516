"""The upload queue (outbox): durable queued envelopes, their states, reconciliation with the disk, staff actions
and USB export.
"""
