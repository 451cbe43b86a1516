"""The one error the queue raises for an operation it cannot do as asked."""

from __future__ import annotations


class OutboxError(RuntimeError):
    """A queue operation that cannot be done as asked; phrased for the technician."""
