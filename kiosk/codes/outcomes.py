"""The outcomes of reading a capture code, with the words the student sees (Chinese first).

Every outcome but ``ok`` is counted for staff; the booth shows ``zh``/``en`` and carries on. A decoder
reports a failure only by raising ``CodeError(outcome)``, so one ``except CodeError`` covers them all.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """One row of the outcome table: a stable id for counting and logs, and the student's message."""

    id: str
    zh: str
    en: str

    def message(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}


OK = Outcome("ok", "请核对您的信息", "Please check your details")
NOT_A_CAPTURE_CODE = Outcome("not_a_capture_code", "这不是学信网图像采集码", "This is not a capture code")
UNKNOWN_KEY = Outcome(
    "unknown_key", "此采集码无法在本机识别，请联系工作人员", "This code can't be read here, please ask staff"
)
DAMAGED = Outcome("damaged", "采集码无法读取，请重新打开采集码", "The code can't be read, please reopen it")
TAMPERED = Outcome("tampered", "采集码无效", "This code is not valid")
MALFORMED = Outcome("malformed", "采集码无效", "This code is not valid")
EXPIRED = Outcome("expired", "采集码已过期，请重新获取", "This code has expired, please get a new one")
NOT_YET_VALID = Outcome("not_yet_valid", "请联系工作人员检查本机时间", "Please ask staff to check the kiosk clock")

# Not a decoder outcome: the camera or an image file showed no QR code at all.
NO_CODE_FOUND = Outcome(
    "no_code_found", "未找到采集码，请将手机屏幕对准摄像头", "No capture code found, please show it to the camera"
)

DECODE_OUTCOMES: tuple[Outcome, ...] = (
    NOT_A_CAPTURE_CODE,
    UNKNOWN_KEY,
    DAMAGED,
    TAMPERED,
    MALFORMED,
    EXPIRED,
    NOT_YET_VALID,
)


class CodeError(Exception):
    """Reading a code failed with ``outcome``; ``detail`` says why, for staff logs (never identity data)."""

    def __init__(self, outcome: Outcome, detail: str = "") -> None:
        super().__init__(f"{outcome.id}: {detail}" if detail else outcome.id)
        self.outcome = outcome
        self.detail = detail
