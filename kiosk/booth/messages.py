"""What the booth itself says to the student (code outcomes and check messages come with their own)."""

from kiosk.vision.report import Message

ALREADY_CAPTURED = Message(
    "您今天的照片已经采集完成，无需重拍。如需重拍请联系工作人员",
    "Your photo was already taken today. Please ask staff if you need a new one",
)
ALREADY_CAPTURED_RETAKE = Message(
    "您今天已有一张通过的照片，本次拍摄将作为重拍",
    "You already have an accepted photo today; this one will replace it",
)
CAMERA_FAILED = Message(
    "相机暂时出现问题，请稍候再试", "The camera had a problem, please try again in a moment"
)
CHECK_FAILED = Message("照片检查未能完成，请重拍", "The photo could not be checked, let's retake it")
SAVE_FAILED = Message(
    "照片保存失败，请联系工作人员（照片仍保留在屏幕上）",
    "The photo could not be saved, please ask staff (it is still on screen)",
)
NO_RETAKES_LEFT = Message(
    "已达到本次可拍摄的次数，请联系工作人员",
    "No more retakes this time, please ask a member of staff",
)
PAUSED = Message("本机暂停服务，请稍候", "This booth is paused, please wait")
TIMED_OUT = Message("操作超时，已返回首页", "Timed out, back to the start")
