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
CAMERA_FAILED = Message("相机暂时出现问题，请稍候再试", "The camera had a problem, please try again in a moment")
CHECK_FAILED = Message("照片检查未能完成，请重拍", "The photo could not be checked, let's retake it")
SAVE_FAILED = Message(
    "照片保存失败，请联系工作人员（照片仍保留在屏幕上）",
    "The photo could not be saved, please ask staff (it is still on screen)",
)
SAVE_FAILED_GIVE_UP = Message(
    "很抱歉，照片未能保存，请联系工作人员后重新拍摄",
    "We are sorry: the photo could not be saved. Please ask staff, then take it again",
)
SAVE_FAILED_BEFORE = Message(
    "很抱歉，本机暂时无法保存，请联系工作人员",
    "We are sorry: this booth cannot save right now. Please ask staff",
)
NO_RETAKES_LEFT = Message(
    "已达到本次可拍摄的次数，请联系工作人员",
    "No more retakes this time, please ask a member of staff",
)
# Said next to the live view when the scanner sees a code it cannot read for about a second.
SCAN_CLOSER = Message("请把手机靠近一些", "Hold your phone a little closer")
SCAN_BRIGHTER = Message("请调高屏幕亮度", "Turn up your screen brightness")
SCAN_STEADIER = Message("请保持手机稳定", "Hold your phone still")
SCAN_ADVICE = {"closer": SCAN_CLOSER, "brighter": SCAN_BRIGHTER, "steadier": SCAN_STEADIER}
PRINTING = Message("正在打印，请到打印机处领取", "Printing: please collect your photos at the printer")
PRINT_FAILED = Message("打印没有成功，请联系工作人员", "The photos could not be printed, please ask staff")
TIMED_OUT = Message("操作超时，已返回首页", "Timed out, back to the start")
ANSWER_ON_SCREEN = Message(
    "请在屏幕上回答问题：重拍，或确认不适用",
    "Please answer on the screen: retake, or tell us it does not apply",
)

# The answer button under an asked check's question: the check's message is the question ("if you are
# wearing earrings or a necklace, please take them off and retake"); this is the student's way of saying
# it does not apply. A check without its own wording gets the generic one.
ANSWERS: dict[str, Message] = {
    "jewellery": Message("我没有佩戴", "I am not wearing any"),
    "glasses": Message("我没有戴眼镜", "I am not wearing glasses"),
    "coloured_contacts": Message("我没有戴美瞳", "I am not wearing coloured lenses"),
    "heavy_makeup": Message("我没有化浓妆", "I am not wearing heavy make-up"),
    "head_covering": Message("我没有戴帽子或头饰", "I am not wearing a hat or head covering"),
    "eyebrows_visible": Message("我的眉毛没有被遮挡", "My eyebrows are not covered"),
    "ears_visible": Message("我的耳朵没有被遮挡", "My ears are not covered"),
    "face_occlusion": Message("我的脸没有被遮挡", "Nothing covers my face"),
    "clothing_not_blue": Message("我的上衣不是蓝色", "My top is not blue"),
    "hair_tied": Message("我的头发已经扎好", "My hair is tied back"),
}
ANSWER_DEFAULT = Message("以上不适用", "This does not apply to me")


def answer_label(check_id: str) -> Message:
    """The wording of the "does not apply" button for ``check_id``'s question."""
    return ANSWERS.get(check_id, ANSWER_DEFAULT)
