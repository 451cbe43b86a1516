"""The zh/en texts of photo-spec section 6, keyed by check id and reason; exactly as the spec words them.

Reason ``ask`` is the question a check asks when it is unsure (report.py): polite, conditional ("if you
are wearing ...") and about something the student can see and answer truthfully.
"""

from __future__ import annotations

from kiosk.vision.geometry import MESSAGES as GEOMETRY_MESSAGES
from kiosk.vision.report import Message

M = Message

MESSAGES: dict[str, dict[str, Message]] = {
    "single_face": {
        "none": M("未检测到人脸，请正对镜头", "No face found, please face the camera."),
        "several": M("画面中只能有您一人", "Only you in the picture, please"),
        "unclear": M("未能看清您的面部，请正对镜头站好", "Your face is not clearly visible, please face the camera."),
    },
    "head_geometry": dict(GEOMETRY_MESSAGES),
    "head_pose": {
        "yaw": M("请正对镜头，不要侧脸", "Please face the camera straight on."),
        "pitch": M("请平视镜头，不要抬头或低头", "Please keep your chin level."),
        "roll": M("请把头摆正，双眼保持水平", "Please hold your head straight"),
    },
    "gaze": {"gaze": M("请看向镜头", "Please look into the camera")},
    "eyes_open": {"closed": M("请自然睁开双眼", "Please keep your eyes open")},
    "mouth_closed": {"open": M("请自然闭上嘴唇，不要露齿", "Please close your lips, no teeth showing")},
    "glasses": {
        "ask": M("如果您戴着眼镜，请摘下后重拍", "If you are wearing glasses, please take them off and retake"),
        "remove": M("请摘下眼镜", "Please remove your glasses."),
        "tint": M("请摘下有色或变色眼镜", "Please remove tinted glasses."),
        "glare": M(
            "眼镜反光，请微调眼镜角度或摘下眼镜",
            "Your glasses reflect light, please tilt them a little or take them off.",
        ),
        "frame": M(
            "镜框遮挡了眼睛，请调整或摘下眼镜",
            "The frame covers your eyes, please adjust or remove your glasses",
        ),
    },
    "head_covering": {
        "covered": M("请摘下帽子、头巾或发饰", "Please remove your hat, scarf or head covering"),
        "ask": M(
            "如果您戴了帽子、头巾或发饰，请摘下后重拍",
            "If you are wearing a hat, scarf or hair ornament, please take it off and retake",
        ),
    },
    "eyebrows_visible": {
        "covered": M("请拨开刘海，露出眉毛", "Please move your fringe so your eyebrows show"),
        "ask": M(
            "如果刘海遮住了眉毛，请拨开后重拍", "If your fringe covers your eyebrows, please move it aside and retake"
        ),
    },
    "ears_visible": {
        "covered": M("请把头发拢到耳后，露出双耳", "Please tuck your hair behind your ears"),
        "ask": M(
            "如果头发遮住了耳朵，请拢到耳后再重拍",
            "If your hair covers your ears, please tuck it behind them and retake",
        ),
    },
    "jewellery": {
        "worn": M("请摘下耳环、项链等饰品", "Please take off earrings, necklaces and other jewellery"),
        "ask": M(
            "如果您佩戴了耳环或项链，请摘下后重拍",
            "If you are wearing earrings or a necklace, please take them off and retake",
        ),
    },
    "heavy_makeup": {
        "makeup": M("请卸去浓妆", "Please remove heavy make-up"),
        "ask": M("如果您化了浓妆，请卸妆后重拍", "If you are wearing heavy make-up, please remove it and retake"),
    },
    "clothing_not_blue": {
        "blue": M("请换一件非蓝色的上衣", "Please wear a top that isn't blue."),
        "light": M("请穿浅色上衣", "Please wear a light-coloured top."),
        "pattern": M("建议穿纯色上衣", "A plain top works best"),
    },
    "face_occlusion": {"covered": M("请不要遮挡面部", "Please keep your face uncovered")},
    "expression": {"smile": M("请保持自然表情，不要大笑", "Please keep a relaxed, natural expression")},
    "coloured_contacts": {"lenses": M("请摘下美瞳或彩色隐形眼镜", "Please remove coloured contact lenses")},
    "hair_tied": {"loose": M("长发请扎起或拢到身后", "Please tie long hair back")},
    "shoulders_level": {"tilted": M("请坐正，双肩放平", "Please sit up straight with level shoulders")},
    "background": {
        "shadow": M("背景有阴影，请向前站一步", "There is a shadow behind you, please step forward."),
        "objects": M("背景中有其他人或物品", "Something or someone is in the background."),
        "colour": M("背景颜色异常，请联系工作人员", "The background colour is off, please ask staff"),
    },
    "illumination": {
        "uneven": M(
            "脸部光线不均匀，请站到标记位置正中", "The light on your face is uneven, please stand on the centre mark"
        )
    },
    "exposure": {
        "dark": M("照片偏暗，请重拍", "The photo is too dark, let's retake it."),
        "bright": M("照片过亮，请重拍", "The photo is too bright, let's retake it."),
        "shine": M("面部有反光，请擦去油光后重拍", "Your face looks shiny, please blot it and retake"),
    },
    "sharpness": {"blurred": M("照片不清晰，请保持不动后重拍", "The photo is blurred, please hold still and retake")},
    "red_eye": {"red": M("出现红眼，请重拍", "Red eye detected, let's retake")},
    "natural_colour": {"cast": M("照片颜色异常，请联系工作人员", "The colours look wrong, please ask staff")},
}

OK = Message("", "")


def message(check_id: str, reason: str) -> Message:
    return MESSAGES[check_id][reason]
