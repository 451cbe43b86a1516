"""face_occlusion: nothing covers the face (a mask, a scarf, hair or a hand across it), OFIQ 0x51's idea.

Without OFIQ's occlusion-segmentation model, the check looks where an occluder sits and skin must
show: the nose and the two OFIQ cheek squares of the IED-64 face patch. Each region's share of pixels
that look like *this face's own skin* must be at least ``min_skin_share``; the region with the least
skin decides. A mask or scarf covers the nose and cheeks, long hair across the face a cheek.

"This face's skin" is judged so that neither the direction of the light nor its colour matters:

- colour by log-chromaticity, log(R/G) and log(B/G): brightness cancels out (a cheek in shadow has
  the chromaticity of the lit one), and a colour cast (every channel scaled, as a warm lamp or a
  camera's white balance does) shifts every pixel by the same vector, which comparing against the
  face's own median removes. The median comes from the face above the eyes, where a mask, a scarf or
  hair across a cheek does not reach; the tolerances (``max_richer``, ``max_paler``, ``max_redder``,
  ``max_hue_shift``) are wider along the shading line and towards red (cheeks are redder than the
  forehead) than towards another hue;
- brightness against the same side of the face: at least ``min_side_brightness`` of the 75th
  percentile luminance of that half's skin (the nose against the darker half). Light from one side
  darkens a whole half, forehead and temple too, so the shadowed cheek keeps its share; dark hair
  across a cheek leaves that half's forehead and temple lit, and reads dark against them.

A hand is skin too, so colour cannot find it: MediaPipe's palm detector (``FaceAnalysis.palms``, one
inference on a square around the face, kiosk/vision/hands.py) does. A palm scored at least
``min_palm_score`` with at least ``min_palm_share`` of its box on the face below the eyes (eye line to
chin, cheek to cheek) fails the check as covered, whatever the skin shares say. Both were chosen on the
calibration half of the press photos, where below them the detector fires on chins, beards and necks
(models/README.md, "face_occlusion: a hand over the face"). A palm's box, not MediaPipe's larger hand
rectangle: that one reaches from a neck over the whole lower face.

A fixed skin-colour box and a whole-face brightness floor read side-lit and colour-cast press photos as
covered (models/README.md, "False rejects"). What it cannot tell: fingers alone (a finger on the lips,
fingers at the chin) or a hand seen edge-on are no palm to the detector, or a palm below the chin,
and are skin-coloured, so they pass; dark brown hair over a whole half of the face, forehead included,
reads as that half in shadow; a hat brim or fringe over the forehead changes the reference colour (those fail
head_covering or eyebrows_visible first). A grey photo has no colour to go by (only the palm
detector judges it), and a head turned beyond the pose limit shows a cheek edge-on (not judged)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from kiosk.vision import landmarks as lm
from kiosk.vision.analysis import PATCH_IED, FaceAnalysis
from kiosk.vision.checks._common import r, result, shortfall
from kiosk.vision.checks._regions import cheek_boxes, clip_box, patch_box, skin_region
from kiosk.vision.detector import Detection
from kiosk.vision.profiles import Profile
from kiosk.vision.report import CheckResult, Region

ID = "face_occlusion"
NOSE_BRIDGE, NOSE_BOTTOM = 6, 2
RIGHT_EYE_TOP, LEFT_EYE_TOP = 159, 386  # upper lids, mid-eye
_GREY_CHROMA = 6.0  # the face's median |Cr-128| + |Cb-128| under this: a grey (or nearly grey) photo


def skin(bgr: np.ndarray, min_y: float = 0.0) -> np.ndarray:
    """The YCrCb skin box (Cr 135-180, Cb 85-135) per pixel, at least ``min_y`` bright (dark brown hair
    has skin's hue and differs in brightness)."""
    ycc = cv2.cvtColor(bgr, cv2.COLOR_BGR2YCrCb)
    box = (ycc[..., 1] >= 135) & (ycc[..., 1] <= 180) & (ycc[..., 2] >= 85) & (ycc[..., 2] <= 135)
    return box & (ycc[..., 0] >= min_y)


def is_grey(a: FaceAnalysis) -> bool:
    """A grey (or nearly grey) photo: the face's median |Cr-128| + |Cb-128| is under a few levels."""
    if a.patch is None:
        return False
    ycc = cv2.cvtColor(a.patch.bgr, cv2.COLOR_BGR2YCrCb).reshape(-1, 3).astype(float)
    return float(np.median(np.abs(ycc[:, 1] - 128) + np.abs(ycc[:, 2] - 128))) < _GREY_CHROMA


def regions(a: FaceAnalysis) -> dict[str, tuple[slice, slice]]:
    """Nose (bridge to bottom, 0.3 IED wide) and cheek squares in the face patch."""
    assert a.patch is not None
    pts = a.patch.points
    h, w = a.patch.bgr.shape[:2]
    top, bottom = pts[NOSE_BRIDGE], pts[NOSE_BOTTOM]
    half = 0.15 * PATCH_IED
    cx = float((top[0] + bottom[0]) / 2)
    y0, y1 = int(max(0, top[1])), int(min(h, bottom[1]))
    nose = (slice(y0, max(y1, y0 + 1)), slice(int(max(0, cx - half)), int(min(w, cx + half))))
    right, left = cheek_boxes(a)
    return {"nose": nose, "right_cheek": right, "left_cheek": left}


def log_chroma(bgr: np.ndarray) -> np.ndarray:
    """Per pixel (log(R/G), log(B/G)), shape (..., 2): free of brightness, and a per-channel colour
    cast adds the same vector to every pixel."""
    f = bgr.astype(np.float32) + 1.0
    return np.stack([np.log(f[..., 2] / f[..., 1]), np.log(f[..., 0] / f[..., 1])], axis=-1)


def luminance(bgr: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2YCrCb)[..., 0].astype(np.float32)


@dataclass(frozen=True)
class SkinModel:
    """One face's skin: its median log-chromaticity and, per half of the face, the luminance a lit
    patch of it reaches (75th percentile). ``split_x`` is the nose line in patch pixels."""

    chroma: np.ndarray  # (2,)
    side_y: tuple[float, float]  # (image-left half, image-right half)
    split_x: float


def skin_model(a: FaceAnalysis) -> SkinModel | None:
    """The face's skin model; None when there is too little skin to go by, or the face is grey (no
    chromaticity to compare).

    The colour comes from the face above the eyes (forehead and temples, brows left out), where a mask,
    a scarf, a hand or hair across a cheek does not reach, and from its brighter half, so that a fringe
    of dark hair does not pull it. The
    brightness of each half is taken over the whole hull without eyes, brows and lips."""
    assert a.patch is not None
    bgr = a.patch.bgr
    mask = skin_region(a)
    if int(mask.sum()) < 50:
        return None
    y_img = luminance(bgr)
    pts = a.patch.points
    eyes_top = int(min(pts[RIGHT_EYE_TOP][1], pts[LEFT_EYE_TOP][1]))
    upper = mask.copy()
    upper[max(0, eyes_top) :] = False
    if int(upper.sum()) < 50:
        return None
    up = bgr[upper]
    ycc = cv2.cvtColor(up.reshape(-1, 1, 3), cv2.COLOR_BGR2YCrCb).reshape(-1, 3).astype(float)
    if float(np.median(np.abs(ycc[:, 1] - 128) + np.abs(ycc[:, 2] - 128))) < _GREY_CHROMA:
        return None
    lit = ycc[:, 0] >= float(np.median(ycc[:, 0]))
    chroma = np.median(log_chroma(up[lit]), axis=0)
    split_x = float((pts[NOSE_BRIDGE][0] + pts[NOSE_BOTTOM][0]) / 2)
    y = y_img[mask]
    xs = np.nonzero(mask)[1]
    sides = []
    for half in (xs < split_x, xs >= split_x):
        sides.append(float(np.percentile(y[half], 75)) if int(half.sum()) >= 20 else float(np.percentile(y, 75)))
    return SkinModel(chroma, (sides[0], sides[1]), split_x)


def skin_colour(part: np.ndarray, model: SkinModel, p: Profile) -> np.ndarray:
    """Per pixel: the face's skin colour, in log-chromaticity about the face's median. Along the line
    from grey through that median (shade makes skin richer in the same hue) a pixel may be up to
    ``max_richer`` richer or ``max_paler`` paler; across it up to ``max_redder`` towards red (cheeks
    and nose are redder than the forehead the median comes from) and ``max_hue_shift`` the other way.
    Grey or black hair is paler than any skin, a pale or blue mask paler and of another hue."""
    diff = log_chroma(part) - model.chroma
    norm = float(np.linalg.norm(model.chroma))
    axis = model.chroma / norm if norm > 0.05 else np.array([0.7071, -0.7071], np.float32)
    across_axis = np.array([-axis[1], axis[0]], np.float32)
    if across_axis[0] < 0:  # point it towards red (log R/G up)
        across_axis = -across_axis
    along = diff @ axis
    across = diff @ across_axis
    g = "face_occlusion."
    inside: np.ndarray = (
        (along <= float(p.get(g + "max_richer")))
        & (along >= -float(p.get(g + "max_paler")))
        & (across <= float(p.get(g + "max_redder")))
        & (across >= -float(p.get(g + "max_hue_shift")))
    )
    return inside


def skin_share(part: np.ndarray, model: SkinModel, ref_y: float, p: Profile) -> float:
    """Share of ``part``'s pixels in the face's skin colour and at least ``min_side_brightness`` of
    ``ref_y``."""
    bright = luminance(part) >= float(p.get("face_occlusion.min_side_brightness")) * ref_y
    return float((skin_colour(part, model, p) & bright).mean())


def lower_face(a: FaceAnalysis) -> tuple[float, float, float, float]:
    """The face below the eyes in source pixels (x0, y0, x1, y1): the lower eye centre's line to the
    chin, cheek to cheek. Cheeks, nose, mouth and chin; a hand there covers what the photo must show."""
    right, left = a.eye_centres
    xs = (float(a.pt(lm.CHEEK_RIGHT)[0]), float(a.pt(lm.CHEEK_LEFT)[0]))
    return min(xs), float(max(right[1], left[1])), max(xs), float(a.pt(lm.CHIN)[1])


def share_on(box: tuple[float, float, float, float], area: tuple[float, float, float, float]) -> float:
    """Share of ``box`` (x, y, w, h) inside ``area`` (x0, y0, x1, y1)."""
    x, y, w, h = box
    ix = max(0.0, min(x + w, area[2]) - max(x, area[0]))
    iy = max(0.0, min(y + h, area[3]) - max(y, area[1]))
    return ix * iy / max(w * h, 1e-9)


def covering_palm(a: FaceAnalysis, p: Profile) -> tuple[Detection, float] | None:
    """The best palm over the face below the eyes and the share of its box there, or None."""
    area = lower_face(a)
    for palm in a.palms:  # best first
        share = share_on(palm.box, area)
        if palm.score >= float(p.get("face_occlusion.min_palm_score")) and share >= float(
            p.get("face_occlusion.min_palm_share")
        ):
            return palm, share
    return None


def run(a: FaceAnalysis, p: Profile) -> CheckResult | None:
    if a.patch is None or a.pose is None or abs(a.pose.yaw) > float(p.get("pose.yaw_deg")):
        return None  # a turned head shows one cheek edge-on: head_pose asks to face the camera first
    hand = covering_palm(a, p)
    if hand is not None:
        palm, share = hand
        res = result(ID, p, False, 1.0, "covered", {"hand": r(palm.score), "hand_share": r(share)})
        x, y, w, h = palm.box
        return replace(res, region=clip_box(a, x, y, x + w, y + h))
    model = skin_model(a)
    if model is None:
        return None
    bgr = a.patch.bgr
    shares = {}
    for name, (ys, xs) in regions(a).items():
        part = bgr[ys, xs]
        if part.size == 0:
            return None
        ref_y = {"right_cheek": model.side_y[0], "left_cheek": model.side_y[1]}.get(name, min(model.side_y))
        shares[name] = skin_share(part, model, ref_y, p)
    need = float(p.get("face_occlusion.min_skin_share"))
    worst = min(shares, key=lambda k: shares[k])
    value = {k: r(v) for k, v in shares.items()}
    return result(ID, p, shares[worst] >= need, shortfall(shares[worst], need, 0.08), "covered", value)


def region(a: FaceAnalysis, res: CheckResult) -> Region | None:
    """The region with the least skin (the one that decided); a palm's box is set by ``run``."""
    if a.patch is None or not isinstance(res.value, dict) or not res.value or "hand" in res.value:
        return None
    worst = min(res.value, key=lambda k: res.value[k])
    ys, xs = regions(a)[worst]
    return patch_box(a, xs.start, ys.start, xs.stop, ys.stop)
