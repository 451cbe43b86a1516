"""Every student screen, as a student sees it: a real browser at the booth's two screen sizes, in both
languages, with the longest messages the booth can show.

Each state must fit the screen without scrolling, every visible button must lie inside it, and
axe-core (the npm package, installed by ``scripts/bootstrap.sh --test``) must find no contrast or
missing-name problem. A new student must start at the top, in Chinese, with nothing said to the
student before."""

from __future__ import annotations

import os

import pytest

from kiosk.booth import Hints
from kiosk.booth import messages as booth_messages
from kiosk.booth.events import CodeSighted
from kiosk.vision.checks import ORDER
from kiosk.vision.messages import MESSAGES
from kiosk.vision.report import CheckResult, FaceGeometry, Message, Report
from tests.helpers.browser import needs_chromium
from tests.helpers.fakes import QUESTIONS
from tests.helpers.paths import REPO
from tests.helpers.student_rig import ScriptedReports, StudentRig, portrait_still

pytestmark = [pytest.mark.browser, needs_chromium]

AXE = REPO / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
SIZES = [(800, 1280), (1280, 800)]
AXE_RULES = [
    "color-contrast",
    "button-name",
    "image-alt",
    "link-name",
    "label",
    "aria-command-name",
    "aria-input-field-name",
    "aria-toggle-field-name",
    "svg-img-alt",
    "document-title",
    "html-has-lang",
]
FACE = (408.0, 182.0, 198.0, 274.0)  # the drawn head of portrait_still()


def _fail(cid: str, reason: str, region=None, value=None) -> CheckResult:
    return CheckResult(cid, False, 0.9, MESSAGES[cid][reason], value=value, region=region)


def _longest_reasons() -> list[CheckResult]:
    """The three longest failure messages of three different checks, in English (the longer language)."""
    best = {cid: max(reasons.items(), key=lambda kv: len(kv[1].en)) for cid, reasons in MESSAGES.items()}
    ranked = sorted(best.items(), key=lambda kv: -len(kv[1][1].en))[:3]
    return [_fail(cid, reason, (430.0, 270.0, 150.0, 60.0)) for cid, (reason, _) in ranked]


def _report(*results: CheckResult) -> Report:
    return Report({r.id: r for r in results}, 5.0, FaceGeometry(box=FACE), ORDER)


LONGEST = _report(*_longest_reasons(), _fail("background", "shadow"))
POSE = _report(_fail("head_pose", "yaw", FACE, {"yaw": 14.0, "pitch": 1.0, "roll": 0.0}))
PLACEMENT = _report(_fail("head_geometry", "too_far", FACE))
BLUE_TOP = _report(_fail("clothing_not_blue", "blue", (330.0, 560.0, 360.0, 200.0)))
ASKED = Report(
    {cid: CheckResult(cid, True, 0.5, QUESTIONS[cid], ask=True) for cid in ("jewellery", "heavy_makeup")},
    5.0,
    FaceGeometry(box=FACE),
    ORDER,
)
PASS = Report(
    {"glasses": CheckResult("glasses", True, 0.1, Message("", ""))},
    5.0,
    FaceGeometry(box=FACE, crop=(222.0, 0.0, 570.0, 760.0), scale=0.84),
    ORDER,
)


class PaperPrinter:
    """A printer that takes every job (the CUPS path itself is tested in test_printing_cups)."""

    def __init__(self) -> None:
        self.jobs = 0

    def print_sheet(self, still, crop) -> str:
        self.jobs += 1
        return f"kiosk-file-{self.jobs}"


LONGEST_NOTICE = max(
    (m for m in vars(booth_messages).values() if isinstance(m, Message)), key=lambda m: len(m.en) + len(m.zh)
)


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        why = "axe-core is not installed: run scripts/bootstrap.sh --test (npm ci in tests/js)"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    return AXE.read_text(encoding="utf-8")


def _walk(rig: StudentRig):
    """The states a student meets, the hardest cases included; yields a name after each."""
    rig.booth.show_notice(LONGEST_NOTICE, 600)
    longest_advice = max(booth_messages.SCAN_ADVICE, key=lambda k: len(booth_messages.SCAN_ADVICE[k].en))
    for _ in range(3):  # a code seen but not read for a while: the scanning advice beside the live view
        rig.send(CodeSighted(longest_advice))
        rig.clock.advance(0.6)
    assert rig.booth.snapshot()["scan_hint"] is not None
    yield "idle with the longest notice and scanning advice"
    rig.code()
    yield "confirm"
    rig.touch("confirm")
    rig.send(Hints((MESSAGES["head_pose"]["pitch"], MESSAGES["illumination"]["uneven"])))
    yield "pose with hints"
    rig.send(Hints(()))
    yield "pose, well placed"
    rig.shoot()
    yield "review: the three longest reasons"
    rig.touch("retake")
    rig.shoot()
    yield "review: turned head"
    rig.touch("retake")
    rig.shoot()
    yield "review: placement, last attempt"
    rig.booth.show_notice(booth_messages.NO_RETAKES_LEFT, 600)
    yield "review: last attempt with a notice"
    rig.touch("cancel")
    rig.code()
    rig.touch("confirm")
    rig.shoot()
    yield "review: blue top"
    rig.touch("cancel")
    rig.code()
    rig.touch("confirm")
    rig.shoot()
    yield "ask: a question about a passing photo"
    rig.touch("cancel")
    rig.code()
    rig.touch("confirm")
    rig.shoot()
    yield "review: pass"
    rig.touch("accept")
    yield "done, printing offered"
    rig.touch("print")
    yield "done, printing"
    rig.touch("finish")
    rig.pause()
    yield "paused"


def _problems(page) -> list[str]:
    """Scrolling, and visible buttons that are not wholly on the screen."""
    found = page.evaluate(
        """() => {
        const out = [];
        const w = window.innerWidth, h = window.innerHeight, doc = document.documentElement;
        if (doc.scrollHeight > h + 1 || doc.scrollWidth > w + 1 || window.scrollY !== 0) {
            out.push(`page is ${doc.scrollWidth}x${doc.scrollHeight}, scrolled to ${window.scrollY}`);
        }
        for (const b of document.querySelectorAll("button")) {
            const r = b.getBoundingClientRect();
            if (r.width === 0 || r.height === 0 || getComputedStyle(b).visibility === "hidden") continue;
            if (r.left < 0 || r.top < 0 || r.right > w + 0.5 || r.bottom > h + 0.5) {
                const at = [r.left, r.top, r.right, r.bottom].map(Math.round).join(",");
                out.push(`button "${b.innerText.replace(/\\s+/g, " ")}" at ${at}`);
            }
        }
        return out;
    }"""
    )
    return list(found)


def _axe(page, axe_source: str) -> list[str]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source)
    violations = page.evaluate(
        """async (rules) => {
        const r = await axe.run(document, {runOnly: {type: "rule", values: rules}, resultTypes: ["violations"]});
        const where = (n) => n.target.join(" ") + " " + (n.any[0] || {}).message;
        return r.violations.map(v => v.id + ": " + v.nodes.map(where).join(" | "));
    }""",
        AXE_RULES,
    )
    return list(violations)


def _settle(page, rig: StudentRig) -> None:
    """Wait until the page shows the booth's latest snapshot."""
    state = rig.booth.snapshot()["state"]
    page.wait_for_selector(f"body[data-state={state}]", timeout=5000)
    page.wait_for_timeout(250)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_screen_fits_and_reads(tmp_path, launch_browser, axe_source, size, language):
    rig = StudentRig(tmp_path, ScriptedReports([LONGEST, POSE, PLACEMENT, BLUE_TOP, ASKED, PASS]), portrait_still())
    rig.booth.printer = PaperPrinter()
    page = launch_browser(*size)
    failures: list[str] = []
    with rig.served() as url:
        page.goto(url, wait_until="domcontentloaded")
        page.wait_for_selector("body[data-state=idle]")
        for name in _walk(rig):
            _settle(page, rig)
            if language == "en" and "lang-zh" in (page.get_attribute("body", "class") or ""):
                page.click("#lang")
            failures += [f"{name}: {p}" for p in _problems(page)]
            failures += [f"{name}: {v}" for v in _axe(page, axe_source)]
    assert not failures, "\n".join(failures)


def test_each_student_starts_at_the_top_in_chinese_with_no_old_notice(tmp_path, launch_browser):
    rig = StudentRig(tmp_path, ScriptedReports([LONGEST]), portrait_still())
    page = launch_browser(800, 1280)
    with rig.served() as url:
        page.goto(url, wait_until="domcontentloaded")
        page.wait_for_selector("body[data-state=idle]")
        rig.code()
        _settle(page, rig)
        page.click("#lang")
        assert page.get_attribute("html", "lang") == "en"
        rig.touch("confirm")
        rig.shoot()
        _settle(page, rig)
        assert "lang-en" in page.get_attribute("body", "class")  # the student's choice holds in a session
        rig.clock.advance(46)  # walks away from the review: timed out
        rig.booth.step()
        _settle(page, rig)
        assert page.locator("#notice").is_visible() and "Timed out" in page.locator("#notice").inner_text()
        assert "lang-zh" in page.get_attribute("body", "class") and page.get_attribute("html", "lang") == "zh-CN"
        rig.code()
        _settle(page, rig)
        assert page.locator("#view-confirm").is_visible() and not page.locator("#notice").is_visible()
        assert page.evaluate("window.scrollY") == 0
        assert (
            page.locator("#view-confirm h2 .zh").bounding_box()["height"]
            > page.locator("#view-confirm h2 .en").bounding_box()["height"]
        )  # Chinese is the large line


def test_english_chosen_on_the_start_screen_holds_when_the_code_is_read(tmp_path, launch_browser):
    rig = StudentRig(tmp_path, ScriptedReports([PASS]), portrait_still())
    page = launch_browser(800, 1280)
    with rig.served() as url:
        page.goto(url, wait_until="domcontentloaded")
        page.wait_for_selector("body[data-state=idle]")
        page.click("#lang")  # before showing the code
        rig.code()
        _settle(page, rig)
        assert page.locator("#view-confirm").is_visible()
        assert "lang-en" in page.get_attribute("body", "class") and page.get_attribute("html", "lang") == "en"
        level = page.locator("#id-level")
        # the code says 本科; an English reader gets its name too
        assert level.locator(".zh").inner_text() == "本科" and level.locator(".en").inner_text() == "Bachelor's degree"


def test_the_review_marks_the_problem_and_a_blue_top_offers_no_retake(tmp_path, launch_browser):
    rig = StudentRig(tmp_path, ScriptedReports([POSE, BLUE_TOP]), portrait_still())
    page = launch_browser(1280, 800)
    with rig.served() as url:
        page.goto(url, wait_until="domcontentloaded")
        rig.code()
        rig.touch("confirm")
        rig.shoot()
        _settle(page, rig)
        assert page.locator("#marks path.arrow").count() == 1 and page.locator("#marks .num").text_content() == "1"
        assert page.locator("#btn-retake").is_visible() and page.locator("#attempts").is_visible()
        rig.touch("retake")
        rig.shoot()
        _settle(page, rig)
        assert page.locator("#marks rect.box").count() == 1
        assert page.locator("#verdict-staff").is_visible() and page.locator("#staff-note").is_visible()
        assert not page.locator("#btn-retake").is_visible() and page.locator("#btn-leave").is_visible()
        assert "primary" in page.get_attribute("#btn-leave", "class")
        assert not page.locator("#attempts").is_visible()  # no "Shot 2 of 3" when no third is on offer
