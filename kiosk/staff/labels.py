"""Plain words for staff: a Chinese and an English name for every check, booth event, audit action and
detail the console shows, instead of the ids the records keep (``clothing_not_blue``, ``login_failed``).

An id without a label (a check or event added later) is shown as it is rather than hidden, so nothing
silently disappears from the console; the tests keep every known id labelled.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

Label = tuple[str, str]

CHECKS: dict[str, Label] = {
    "single_face": ("画面中人数", "One person in the picture"),
    "head_geometry": ("头部大小与位置", "Head size and position"),
    "head_pose": ("正对镜头", "Facing the camera"),
    "head_covering": ("帽子或头巾", "Hat or head covering"),
    "glasses": ("眼镜", "Glasses"),
    "face_occlusion": ("面部遮挡", "Face covered"),
    "eyes_open": ("睁眼", "Eyes open"),
    "gaze": ("看镜头", "Looking at the camera"),
    "mouth_closed": ("闭嘴", "Mouth closed"),
    "expression": ("表情", "Expression"),
    "eyebrows_visible": ("露出眉毛", "Eyebrows visible"),
    "ears_visible": ("露出双耳", "Ears visible"),
    "jewellery": ("饰品", "Jewellery"),
    "clothing_not_blue": ("上衣颜色", "Top colour"),
    "heavy_makeup": ("浓妆", "Heavy make-up"),
    "coloured_contacts": ("彩色隐形眼镜", "Coloured contact lenses"),
    "shoulders_level": ("双肩水平", "Shoulders level"),
    "hair_tied": ("长发扎起", "Long hair tied back"),
    "background": ("背景", "Background"),
    "illumination": ("面部光线均匀", "Even light on the face"),
    "exposure": ("亮度", "Brightness"),
    "sharpness": ("清晰度", "Sharpness"),
    "red_eye": ("红眼", "Red eye"),
    "natural_colour": ("颜色自然", "Natural colour"),
}

# What the booth records as events (kiosk.storage.records ``events``) and the staff console's audit actions.
EVENTS: dict[str, Label] = {
    "timeout": ("学生未操作，已返回首页", "Student walked away (timed out)"),
    "code_rejected": ("采集码无效", "Capture code refused"),
    "already_captured": ("今天已拍过", "Already photographed today"),
    "camera_error": ("相机故障", "Camera fault"),
    "check_error": ("检测出错", "Check failed to run"),
    "burst_kept": ("连拍的后一张合格，免去重拍", "A later still of the burst passed: no retake needed"),
    "save_error": ("照片保存失败", "Photo could not be saved"),
    "auto_accept": ("合格照片自动保存", "Passing photo kept automatically"),
    "staff_needed": ("需要工作人员协助", "Student sent to staff"),
    "disk_low": ("存储空间不足", "Disk nearly full"),
    "self_paused": ("本机自动暂停", "Booth paused itself"),
    "acceptance_recovered": ("重启后找回已通过的照片", "Accepted photos recovered after a restart"),
    "ask_unanswered": ("学生未回答确认问题", "Student left a question unanswered"),
    "printed": ("已打印照片", "Photo sheet printed"),
    "print_error": ("打印失败", "Printing failed"),
    "login": ("登录", "Signed in"),
    "login_failed": ("登录失败", "Sign-in failed"),
    "login_refused_locked": ("登录被锁定", "Sign-in refused: locked"),
    "logout": ("退出", "Signed out"),
    "pause": ("暂停本机", "Paused the booth"),
    "resume": ("恢复采集", "Resumed the booth"),
    "calibrate": ("校准背景或姿态", "Calibrated the backdrop or the pose zero"),
    "void": ("作废照片", "Voided a photo"),
    "retry": ("重新上传", "Sent uploads again"),
    "schedule_import": ("导入批次", "Imported a schedule"),
    "schedule_import_failed": ("批次导入失败", "Schedule import failed"),
    "password_set": ("设置密码", "Set a password"),
}

# Keys of audit details, and the values that need words.
DETAILS: dict[str, Label] = {
    "locked": ("已锁定", "locked"),
    "reason": ("原因", "reason"),
    "queue": ("上传队列", "upload queue"),
    "retried": ("重新上传", "sent again"),
    "problems": ("问题", "problems"),
    "batches": ("批次数", "batches"),
    "days": ("日期", "days"),
    "replaced": ("替换", "replaced"),
    "checks": ("检测项", "checks"),
    "outcome": ("结果", "outcome"),
    "state": ("状态", "state"),
    "error": ("错误", "error"),
    "captures": ("照片数", "photos"),
    "job": ("打印任务", "print job"),
}
QUEUE_OUTCOMES: dict[str, Label] = {
    "withdrawn": ("已撤回，不会上传", "withdrawn, never sent"),
    "already_sent": ("已上传，需通知中心", "already sent: tell the centre"),
    "not_queued": ("不在队列中", "was not queued"),
    "no_queue": ("本机无上传队列", "no upload queue"),
}
YES_NO: dict[bool, Label] = {True: ("是", "yes"), False: ("否", "no")}

LIGHTS: dict[str, Label] = {
    "key_light": ("主灯", "Key light"),
    "fill_light": ("补光灯", "Fill light"),
    "background_light": ("背景灯", "Background light"),
    "status_led": ("状态灯", "Status light"),
    "buzzer": ("蜂鸣器", "Buzzer"),
}


def label(table: dict[str, Label], key: str) -> Label:
    """The (zh, en) words for ``key``, or the id itself in both places when it has none yet."""
    return table.get(key, (key, key))


def check_label(check_id: str) -> Label:
    return label(CHECKS, check_id)


def event_label(kind: str) -> Label:
    return label(EVENTS, kind)


def detail_text(detail: dict[str, Any]) -> Label:
    """An audit detail as "原因: 拍错人; 上传队列: 已撤回" / "reason: wrong student; upload queue: withdrawn"."""
    zh, en = [], []
    for key, value in detail.items():
        kz, ke = label(DETAILS, key)
        if isinstance(value, bool):
            vz, ve = YES_NO[value]
        elif key == "queue" and isinstance(value, str):
            vz, ve = label(QUEUE_OUTCOMES, value)
        elif key == "checks" and isinstance(value, list):
            vz = "、".join(check_label(str(v))[0] for v in value)
            ve = ", ".join(check_label(str(v))[1] for v in value)
        elif isinstance(value, list):
            vz = ve = ", ".join(str(v) for v in value) or "–"
        else:
            vz = ve = str(value)
        zh.append(f"{kz}：{vz}")
        en.append(f"{ke}: {ve}")
    return "；".join(zh), "; ".join(en)


def local_time(value: str | datetime | None, tz: tzinfo | None, with_date: bool = True) -> str:
    """A stored timestamp (ISO 8601 with offset, or a datetime) in the booth's local time, plainly:
    "2026-06-01 09:05:12" (or "09:05:12"); text that is not a timestamp is returned as it is."""
    if value is None:
        return "–"
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return value
    else:
        when = value
    if when.tzinfo is not None and tz is not None:
        when = when.astimezone(tz)
    return when.strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S")


def share(used: float | None, total: float | None) -> dict[str, Any] | None:
    """Used of total (MB) with the percentage, for memory and disk: {"used_mb", "total_mb", "percent"}."""
    if used is None or total is None or total <= 0:
        return None
    return {"used_mb": round(used, 1), "total_mb": round(total, 1), "percent": round(100 * used / total)}
