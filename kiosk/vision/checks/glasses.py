"""glasses: the profile's policy (photo-spec section 7). ``forbidden``: any glasses fail (inside the
``[ask]`` band the student is asked whether they wear glasses). ``allowed_clear``: glasses may stay on,
but not tinted, not reflecting and with the frame clear of the eyes; nothing is asked. Presence is the
attribute classifier's ``glasses`` probability (CelebA ``Eyeglasses``, sunglasses included); tint, glare
and frame are measured on the lens area (``_lens``) only when the glasses are plain (probability over
``glasses_lens.min_presence``)"""

from __future__ import annotations

from kiosk.vision.analysis import FaceAnalysis
from kiosk.vision.checks import _lens
from kiosk.vision.checks._attribute import cut_off, probability, score
from kiosk.vision.checks._common import ask_band, excess, r, result
from kiosk.vision.checks._regions import BROWS, EYES, points_box
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "glasses"


def lens_rules(p: Profile) -> _lens.LensRules:
    return _lens.LensRules(
        glare_min_v=float(p.get("glasses_lens.glare_min_v")),
        glare_max_s=float(p.get("glasses_lens.glare_max_s")),
        frame_min_edge=float(p.get("glasses_lens.frame_min_edge")),
        frame_min_coverage=float(p.get("glasses_lens.frame_min_coverage")),
        frame_min_ied_px=float(p.get("glasses_lens.frame_min_ied_px")),
    )


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    prob = probability(a, "glasses")
    if prob is None:
        return None
    cut = cut_off(p, ID)
    value: dict[str, float | None] = {"probability": r(prob)}
    if p.get("glasses") == "forbidden":  # unsure: ask "if you are wearing glasses, please take them off"
        lo, hi = ask_band(p, ID)
        return result(ID, p, prob <= hi, score(prob, hi), "remove", value, ask=prob > lo)
    # Below the presence cut-off no glasses; between it and min_presence perhaps glasses, but not plainly:
    # bare eyes in a shadowed socket measure like tinted lenses, and a student without glasses must never
    # be told to take tinted ones off.
    plain = max(cut, float(p.get("glasses_lens.min_presence")))
    if prob <= plain:
        return result(ID, p, True, score(prob, plain), None, value)
    m = _lens.measure(a, lens_rules(p))
    if m is None:  # glasses, but the lens area is outside the patch: presence is all we know
        return result(ID, p, True, 0.0, None, value)
    value |= {"l_drop": r(m.l_drop, 1), "chroma_shift": r(m.chroma_shift, 1), "glare": r(m.glare_share, 4),
              "frame": None if m.frame_coverage is None else r(m.frame_coverage)}  # fmt: skip
    frame = m.frame_coverage or 0.0
    lim_drop, lim_chroma = float(p.get("glasses_lens.tint_min_l_drop")), float(p.get("glasses_lens.tint_max_chroma"))
    lim_glare, lim_frame = float(p.get("glasses_lens.max_glare_share")), float(p.get("glasses_lens.frame_min_coverage"))
    scores = {
        "tint": max(excess(m.l_drop, lim_drop, 4.0), excess(m.chroma_shift, lim_chroma, 4.0)),
        "glare": excess(m.glare_share, lim_glare, lim_glare / 4),
        "frame": excess(frame, lim_frame, 0.05),
    }
    for reason in ("tint", "glare", "frame"):  # most severe first: tinted glasses must come off anyway
        broken = {
            "tint": m.l_drop >= lim_drop or m.chroma_shift > lim_chroma,
            "glare": m.glare_share > lim_glare,
            "frame": frame >= lim_frame,
        }[reason]
        if broken:
            return result(ID, p, False, scores[reason], reason, value)
    return result(ID, p, True, max(scores.values()), None, value)


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    """Both lens areas: the eyes widened by 0.15 IED, from the brows to below the eyes."""
    return points_box(a, EYES + BROWS, 0.15)
