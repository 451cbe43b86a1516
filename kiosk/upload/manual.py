"""A capture added by a technician (``kiosk queue add``): a photo from a backup camera, queued like any other.

The technician may type the student's full name and ID number; only the masked forms ever reach the
envelope, as for a capture code. The compliance check is a parameter (``checker``): ``kiosk queue add``
passes the booth's own check and photo maker; without one the report says the photo was not checked.

A check that is unsure asks the student a question at the booth ("if you are wearing earrings, please take
them off"). Here nobody can tap an answer, so the technician answers for the student: a photo with asked
checks is queued only when each of them is named in ``answered`` (``--answered jewellery``), and refused
otherwise with the questions to put to the student. The answers are sealed with the photo, as at the booth.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from kiosk.codes.subject import mask_idn, mask_name
from kiosk.core.capture import AcceptedCapture, SubjectInfo

PhotoChecker = Callable[[bytes, str], tuple[dict[str, Any], bytes]]
"""``checker(photo_jpeg, profile) -> (Report.to_dict(), the registration photo to queue)``."""


class PhotoRejected(ValueError):
    """The checker found the photo not compliant."""


class PhotoNeedsAnswers(PhotoRejected):
    """The checker was unsure about the photo and nobody has answered its questions yet."""

    def __init__(self, questions: dict[str, str]) -> None:
        self.questions = questions  # check id -> its question (English)
        asked = "; ".join(f"{cid} ({q})" for cid, q in questions.items())
        super().__init__(
            f"the check is unsure about {asked}: ask the student, then queue it again with"
            f" --answered {','.join(questions)} (or retake the photo)"
        )


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
    answered: Sequence[str] = (),
    capture_id: str | None = None,
) -> AcceptedCapture:
    """Build the accepted capture for a technician's photo; raise PhotoRejected if the checker fails it.

    ``answered`` names the asked checks the student said do not apply to them; PhotoNeedsAnswers when an
    asked check is missing from it. Names of checks that did not ask are left out of the record.
    """
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
    asked = [cid for cid in report.get("asked", []) if isinstance(cid, str)]
    missing = [cid for cid in asked if cid not in answered]
    if missing:
        checks = report.get("checks", {})
        raise PhotoNeedsAnswers({cid: _question(checks.get(cid, {})) for cid in missing})
    subject = SubjectInfo(uid=uid, name=mask_name(name), idn=mask_idn(idn), school=school, level=level)
    return AcceptedCapture(
        capture_id=capture_id or str(uuid.uuid4()),
        kiosk_id=kiosk_id,
        subject=subject,
        taken_at=taken_at,
        profile=profile,
        attempt=1,
        report=report,
        photo_jpeg=photo_jpeg,
        answered=tuple(cid for cid in asked if cid in answered),
    )


def _question(check: dict[str, Any]) -> str:
    message = check.get("message") if isinstance(check, dict) else None
    text = message.get("en") if isinstance(message, dict) else None
    return text if isinstance(text, str) and text else "no question given"
