"""mouth_closed and expression with the classifier's mouth_open and smiling heads.

mouth_closed: the classifier sure the mouth is closed gives a borderline gap the benefit of the doubt,
never a plainly open mouth; unsure, sure it is open, or no classifier result, the mesh's limits apply as
they are; the check never asks. expression: the classifier's smile counts only with the mesh confirming a
wide, lifted mouth, and a plain grin is caught whatever the classifier says. Real portraits from
shared/data/faces on the booth backdrop (held-out identities); the probabilities are set by hand so each
case is the one named. Skipped when the shared photos are not present.
"""

from __future__ import annotations

import copy
from functools import lru_cache

import pytest

from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checker import ComplianceChecker
from kiosk.vision.checks import expression, mouth_closed
from kiosk.vision.profiles import Profile, ProfileError, _merge, load_profile
from tests.helpers.paths import FACES
from tests.helpers.scenes import portrait_still

CLOSED = "celeba_wild_019167.jpg"  # frontal, neutral, lips closed
OPEN = "celeba_wild_000176.jpg"  # mouth plainly open (labelled), held-out identity
SIZE = (2028, 1520)

pytestmark = pytest.mark.skipif(not (FACES / CLOSED).is_file(), reason=f"shared face photos not found at {FACES}")


@pytest.fixture(scope="module")
def checker() -> ComplianceChecker:
    return ComplianceChecker("chsi")


@lru_cache(maxsize=4)
def _analysed(checker: ComplianceChecker, name: str) -> FaceAnalysis:
    return checker.analyse(portrait_still(checker.analyser, name, SIZE))


def with_probs(checker: ComplianceChecker, name: str, **probs: float) -> FaceAnalysis:
    a = copy.copy(_analysed(checker, name))
    a.attributes = dict(probs) if probs else None
    return a


def tuned(p: Profile, section: str, **values: float) -> Profile:
    data = copy.deepcopy(p.data)
    data[section].update(values)
    return Profile(p.name, data)


# --- mouth_closed -------------------------------------------------------------------------------------


def test_sure_closed_passes_a_borderline_gap_but_not_a_plainly_open_one(checker: ComplianceChecker) -> None:
    """The closed mouth's own gap made 10 % over the limit (a borderline read): passes only when the
    classifier is sure it is closed; made twice the limit (plainly open): fails even then."""
    p = checker.profile
    a = with_probs(checker, CLOSED)
    gap, teeth = mouth_closed.measures(a, p)
    assert gap > 0 and teeth == 0.0
    allowance = float(p.get("mouth_closed.closed_gap_allowance"))
    assert allowance > 1.1
    sure_closed = float(p.get("mouth_closed.closed_probability")) / 2
    borderline = tuned(p, "mouth_closed", max_gap=gap / 1.1)
    assert mouth_closed.run(with_probs(checker, CLOSED, mouth_open=sure_closed), borderline).passed
    for unsure in ({"mouth_open": 0.5}, {"mouth_open": 0.95}, {}):
        res = mouth_closed.run(with_probs(checker, CLOSED, **unsure), borderline)
        assert res is not None and not res.passed, (unsure, res.value)
    plainly = tuned(p, "mouth_closed", max_gap=gap / (allowance + 0.5))
    res = mouth_closed.run(with_probs(checker, CLOSED, mouth_open=0.0), plainly)
    assert res is not None and not res.passed and res.message.en == "Please close your lips, no teeth showing"


def test_open_mouth_fails_whatever_the_classifier_says(checker: ComplianceChecker) -> None:
    res = mouth_closed.run(with_probs(checker, OPEN, mouth_open=0.0), checker.profile)
    assert res is not None and not res.passed and not res.ask, res.value


def test_closed_mouth_passes_with_the_shipped_model(checker: ComplianceChecker) -> None:
    """The whole path: the real classifier reads the closed mouth as closed and the check passes."""
    res = checker.check(portrait_still(checker.analyser, CLOSED, SIZE)).checks["mouth_closed"]
    assert res.passed and res.value["probability"] < 0.5, res.value


def test_mouth_closed_has_no_ask_band() -> None:
    """A retake fixes a mouth and the student cannot judge it: a profile may not make the check ask."""
    base = load_profile("chsi")
    assert "mouth_closed" not in base.data["ask"]
    with pytest.raises(ProfileError, match="ask.mouth_closed"):
        _merge(base.data, {"ask": {"mouth_closed": [0.5, 0.8]}}, "", "school")


# --- expression ---------------------------------------------------------------------------------------


def expression_profile(checker: ComplianceChecker, smile: float) -> Profile:
    """The shipped profile with the mesh units scaled so this face's mesh smile reads ``smile``."""
    p = checker.profile
    a = with_probs(checker, CLOSED)
    width, lift = expression.measures(a)
    now = lift / float(p.get("expression.lift_at")) + width / float(p.get("expression.width_at"))
    k = now / smile
    return tuned(p, "expression", lift_at=float(p.get("expression.lift_at")) * k,
                 width_at=float(p.get("expression.width_at")) * k)  # fmt: skip


def test_smile_needs_the_classifier_and_the_mesh(checker: ComplianceChecker) -> None:
    p = checker.profile
    confirm, plain = float(p.get("expression.confirmed_smile")), float(p.get("expression.plain_smile"))
    cut = float(p.get("expression.smiling_probability"))
    between = expression_profile(checker, (confirm + plain) / 2)
    smiling = expression.run(with_probs(checker, CLOSED, smiling=min(1.0, cut + 0.3)), between)
    assert smiling is not None and not smiling.passed and smiling.severity == "warn", smiling.value
    relaxed = expression.run(with_probs(checker, CLOSED, smiling=cut / 2), between)
    assert relaxed is not None and relaxed.passed, relaxed.value
    at_rest = expression_profile(checker, confirm * 0.9)  # the classifier sure, the mouth not wide
    assert expression.run(with_probs(checker, CLOSED, smiling=0.99), at_rest).passed


def test_plain_grin_hints_even_when_the_classifier_misses_it(checker: ComplianceChecker) -> None:
    p = checker.profile
    grin = expression_profile(checker, float(p.get("expression.plain_smile")) * 1.1)
    res = expression.run(with_probs(checker, CLOSED, smiling=0.0), grin)
    assert res is not None and not res.passed and res.severity == "warn"
    data = copy.deepcopy(grin.data)
    data["expression_strict"] = True
    strict = expression.run(with_probs(checker, CLOSED, smiling=0.0), Profile("strict", data))
    assert strict is not None and strict.severity == "fail"


def test_without_a_classifier_result_the_mesh_decides(checker: ComplianceChecker) -> None:
    p = checker.profile
    limit = float(p.get("expression.max_smile"))
    assert not expression.run(with_probs(checker, CLOSED), expression_profile(checker, limit * 1.05)).passed
    assert expression.run(with_probs(checker, CLOSED), expression_profile(checker, limit * 0.95)).passed
