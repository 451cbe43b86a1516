"""One probe per fact about the booth's surroundings, shared by the self-test, the staff dashboard and
the metrics: the clock, the room for the data folder, the face models, the centre over TLS.

Each probe gets what it reads handed in (a command runner, a disk-usage function, a folder, the upload
settings), so a test can make any fact false, and returns a ``ProbeResult``: ok, warn or fail, one
plain line, and the measured value.
"""

from __future__ import annotations

from kiosk.ops.probes.centre import CentreAnswer, head_status, probe_centre
from kiosk.ops.probes.clock import probe_clock
from kiosk.ops.probes.command import Runner, run_command
from kiosk.ops.probes.disk import DiskSpace, existing_folder, probe_disk_free, probe_writable
from kiosk.ops.probes.models import MODEL_FILES, ModelFiles, probe_models
from kiosk.ops.probes.result import Level, ProbeResult

__all__ = [
    "MODEL_FILES",
    "CentreAnswer",
    "DiskSpace",
    "Level",
    "ModelFiles",
    "ProbeResult",
    "Runner",
    "existing_folder",
    "head_status",
    "probe_centre",
    "probe_clock",
    "probe_disk_free",
    "probe_models",
    "probe_writable",
    "run_command",
]
