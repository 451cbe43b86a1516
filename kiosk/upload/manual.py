"""A capture added by a technician (``kiosk queue add``): a photo from a backup camera, queued like any other.

The technician may type the student's full name and ID number; only the masked forms ever reach the
envelope, as for a capture code. The compliance check is a parameter (``checker``): ``kiosk queue add``
passes the booth's own check and photo maker; without one the report says the photo was not checked.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from kiosk.capture import AcceptedCapture, SubjectInfo
from kiosk.codes.subject import mask_idn, mask_name

PhotoChecker = Callable[[bytes, str], tuple[dict[str, Any], bytes]]
"""``checker(photo_jpeg, profile) -> (Report.to_dict(), the registration photo to queue)``."""


class PhotoRejected(ValueError):
    """The checker found the photo not compliant."""


def is_jpeg(data: bytes) -> bool:
    return len(data) > 4 and data[:3] == b"\xff\xd8\xff"


def manual_capture(
    photo_jpeg: bytes,
    *,
    uid: str,
    name: str,
    idn: str,
    school: str,
    level: str,
    kiosk_id: str,
    profile: str,
    taken_at: datetime,
    checker: PhotoChecker | None = None,
) -> AcceptedCapture:
    """Build the accepted capture for a technician's photo; raise PhotoRejected if the checker fails it."""
    if not is_jpeg(photo_jpeg):
        raise ValueError("not a JPEG file")
    if taken_at.tzinfo is None:
        raise ValueError("taken_at must be an aware datetime")
    if checker is None:
        report: dict[str, Any] = {"pass": None, "checks": {}, "ms": 0.0, "checked": False, "source": "technician"}
    else:
        checked, photo_jpeg = checker(photo_jpeg, profile)
        report = dict(checked)
        report["source"] = "technician"
        if report.get("pass") is False:
            failed = [cid for cid, c in report.get("checks", {}).items() if not c.get("pass", True)]
            raise PhotoRejected("the photo fails the compliance check: " + (", ".join(failed) or "see report"))
    subject = SubjectInfo(uid=uid, name=mask_name(name), idn=mask_idn(idn), school=school, level=level)
    return AcceptedCapture(
        capture_id=str(uuid.uuid4()),
        kiosk_id=kiosk_id,
        subject=subject,
        taken_at=taken_at,
        profile=profile,
        attempt=1,
        report=report,
        photo_jpeg=photo_jpeg,
    )
