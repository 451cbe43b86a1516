"""The demo's cast: portraits the check passes and portraits it fails for a clear reason, found at start."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from kiosk.demo.cast import Cast, candidates
from kiosk.demo.director import DemoDirector
from kiosk.vision.report import CheckResult, Message, Report

LABEL_HEAD = "file,glasses,hat,mouth_open,earrings,necklace,heavy_makeup,bangs,blurry\n"


def write_photos(folder: Path, names: list[str]) -> list[Path]:
    """Tiny photos whose grey level is their index, so a fake check knows which one it is looking at."""
    folder.mkdir(exist_ok=True)
    paths = []
    for i, name in enumerate(names):
        path = folder / name
        cv2.imwrite(str(path), np.full((8, 8, 3), i, np.uint8))
        paths.append(path)
    return paths


def verdicts_check(verdicts: list[tuple[str, ...] | None]):
    """A check that fails photo i for verdicts[i] (None or () passes), counting its calls."""
    calls = []

    def check(scene: np.ndarray) -> Report:
        i = int(scene[0, 0, 0])
        calls.append(i)
        reasons = verdicts[i] or ()
        msg = Message("原因", "reason")
        checks = {r: CheckResult(r, False, 0.9, msg) for r in reasons}
        checks["single_face"] = CheckResult("single_face", True, 0.0, msg)
        return Report(checks, 1.0)

    return check, calls


def test_labels_put_clean_and_visibly_faulty_photos_first(tmp_path):
    names = [f"celeba_wild_{i:06d}.jpg" for i in range(6)]
    write_photos(tmp_path, [*names, "celeba_aligned89_000001.jpg"])
    rows = {
        0: "0,0,0,0,0,0,1,0",  # bangs: not clean, not visible
        1: "0,0,0,0,0,0,0,0",  # clean
        2: "1,0,0,0,0,0,0,0",  # glasses: visible
        3: "0,0,0,0,0,0,0,0",  # clean
        4: "0,0,0,1,0,0,0,0",  # earrings: not visible at a glance
        5: "0,1,0,0,0,0,0,0",  # hat: visible
    }
    (tmp_path / "labels.csv").write_text(LABEL_HEAD + "".join(f"{names[i]},{r}\n" for i, r in rows.items()))
    order = [p.name for p in candidates(tmp_path)]
    assert len(order) == 6 and "celeba_aligned89_000001.jpg" not in order  # wild photos only
    assert {order[0], order[2]} == {names[1], names[3]} and {order[1], order[3]} == {names[2], names[5]}
    assert set(order[4:]) == {names[0], names[4]}
    assert order == [p.name for p in candidates(tmp_path)]  # a fixed order from run to run


def test_without_labels_every_image_in_name_order(tmp_path):
    write_photos(tmp_path, ["b.png", "a.jpg"])
    (tmp_path / "notes.txt").write_text("not a photo")
    assert [p.name for p in candidates(tmp_path)] == ["a.jpg", "b.png"]


def test_search_keeps_passes_and_clear_distinct_failures_then_stops(tmp_path):
    verdicts = [
        ("head_pose", "jewellery", "mouth_closed"),  # murky: three reasons
        None,  # pass
        ("glasses",),  # clear
        ("glasses", "sharpness"),  # clear, but glasses again
        ("clothing_not_blue",),  # one reason, but one the demo's scene makes up: not posed
        ("background",),  # clear
        None,  # pass
        ("head_covering",),  # clear
        None,  # never reached: the cast is complete
    ]
    files = write_photos(tmp_path, [f"p{i}.png" for i in range(len(verdicts))])
    check, calls = verdicts_check(verdicts)
    cast = Cast(files, lambda img: img, check, budget_s=60)
    cast.run()
    assert [p.source for p in cast.passes] == ["p1.png", "p6.png"]
    assert [(p.source, p.reasons) for p in cast.failures] == [
        ("p2.png", ("glasses",)),
        ("p5.png", ("background",)),
        ("p7.png", ("head_covering",)),
    ]
    assert calls == list(range(8)) and cast.done.is_set()
    # Posing: a failure, then a pass (the retake), and round again with the next ones.
    served = [cast.next() for _ in range(6)]
    assert [p.source for p in served] == ["p2.png", "p1.png", "p5.png", "p6.png", "p7.png", "p1.png"]
    assert served[0].passed is False and served[1].passed is True


def test_the_first_failure_posed_is_one_a_retake_can_fix(tmp_path):
    # A backdrop of the wrong colour sends the student to staff with no retake, so the demo's first shot
    # would never be followed by the pass on the retake; a mouth that a retake fixes is posed first even
    # if found later.
    from kiosk.vision.messages import MESSAGES

    files = write_photos(tmp_path, ["backdrop.png", "mouth.png", "ok.png"])
    failed = {0: ("background", "colour"), 1: ("mouth_closed", "open")}

    def check(scene: np.ndarray) -> Report:
        i = int(scene[0, 0, 0])
        checks = {"single_face": CheckResult("single_face", True, 0.0, Message("", ""))}
        if i in failed:
            cid, reason = failed[i]
            checks[cid] = CheckResult(cid, False, 0.9, MESSAGES[cid][reason])
        return Report(checks, 1.0)

    cast = Cast(files, lambda img: img, check, budget_s=60, passes=1, failures=2)
    cast.run()
    assert [(f.source, f.staff) for f in cast.failures] == [("mouth.png", False), ("backdrop.png", True)]
    assert [p.source for p in (cast.next(), cast.next(), cast.next())] == ["mouth.png", "ok.png", "backdrop.png"]


def test_the_budget_bounds_the_search_and_murky_failures_stand_in(tmp_path):
    verdicts = [("head_pose", "jewellery", "illumination", "mouth_closed"), ("head_pose", "a", "b")] * 5
    files = write_photos(tmp_path, [f"p{i}.png" for i in range(len(verdicts))])
    check, calls = verdicts_check(verdicts)
    now = [0.0]

    def slow_check(scene):
        now[0] += 10.0  # each check takes ten seconds on this clock
        return check(scene)

    cast = Cast(files, lambda img: img, slow_check, budget_s=25, clock=lambda: now[0])
    cast.run()
    assert len(calls) == 3  # 0, 10, 20 s: the fourth would start past the budget
    first = cast.next()
    assert first.passed is False and first.reasons == ("head_pose", "a", "b")  # the fewest reasons first
    assert "none passed the check" in cast.summary(25)


def test_before_the_search_has_found_anything_the_next_photo_is_posed_unchecked(tmp_path):
    files = write_photos(tmp_path, ["p0.png", "p1.png"])
    (tmp_path / "broken.png").write_bytes(b"not an image")
    check, calls = verdicts_check([None, None])
    cast = Cast([tmp_path / "broken.png", *files], lambda img: img, check)
    first, second = cast.next(), cast.next()
    assert (first.source, first.passed) == ("p0.png", None) and second.source == "p1.png"
    assert cast.next() is None and calls == []  # nothing left: the director draws its figure


class ShowingCamera:
    def __init__(self) -> None:
        self.shown: list[np.ndarray] = []

    def show(self, frames) -> None:
        self.shown.extend(frames)


def test_director_poses_a_new_portrait_for_each_student_and_each_retake(tmp_path):
    files = write_photos(tmp_path, ["p0.png", "p1.png", "p2.png"])
    check, _ = verdicts_check([("glasses",), None, ("mouth_closed",)])
    cast = Cast(files, lambda img: img, check)
    cast.run()
    camera = ShowingCamera()
    director = DemoDirector(camera, keyring=None, cast=cast)
    director.on_state("confirm", "pose", None)
    director.on_state("review", "pose", None)  # retake
    director.on_state("capture", "pose", None)  # the camera failed: same student, same portrait
    director.on_state("ask", "pose", None)
    assert [int(s[0, 0, 0]) for s in camera.shown] == [0, 1, 2]
    empty = DemoDirector(ShowingCamera(), keyring=None, cast=None)
    assert empty.next_scene().shape == (1200, 1600, 3)  # no photos: the drawn figure


def test_cast_finds_a_pass_and_a_clear_failure_with_the_real_check(tmp_path, faces_dir):
    """The booth's own check on real portraits: a compliant still passes, a press photo fails clearly."""
    from kiosk.demo.director import scene_maker
    from kiosk.vision.checker import ComplianceChecker
    from kiosk.vision.checks import ORDER
    from tests.helpers.scenes import compliant_still

    checker = ComplianceChecker("chsi")
    folder = tmp_path / "photos"
    folder.mkdir()
    # Named like the shared set's booth-like photos, so it is a candidate beside them (and first).
    cv2.imwrite(str(folder / "celeba_wild_000000.png"), compliant_still(checker.analyser, faces_dir))
    wild = sorted(faces_dir.glob("celeba_wild_*"))
    for path in wild[:: max(1, len(wild) // 12)][:12]:
        (folder / path.name).symlink_to(path)
    cast = Cast(candidates(folder), scene_maker(checker), checker.check, budget_s=120, passes=1, failures=1)
    cast.start()
    assert cast.done.wait(180)
    cast.close()
    assert "celeba_wild_000000.png" in [p.source for p in cast.passes]
    fail, ok = cast.next(), cast.next()
    assert ok.passed is True and fail.passed is False
    assert fail.reasons and set(fail.reasons) <= set(ORDER) | {"head_geometry"}  # real checks, named
    assert fail.source != "celeba_wild_000000.png"
