"""The synthetic portraits the output tests and the bench use have the head where their measurements say."""

from __future__ import annotations

import numpy as np

from tests.helpers.portraits import BACKDROP, SKIN, synthetic_portrait


def test_pupils_on_the_stated_eye_line() -> None:
    img, head = synthetic_portrait(1600, 1200, noise=0)
    dark = np.all(img < 10, axis=2)
    ys, xs = np.nonzero(dark)
    assert abs(ys.mean() - head.eye_y) < 1.5
    assert abs(xs.mean() - head.eye_x) < 1.5


def test_face_and_hair_where_stated() -> None:
    img, head = synthetic_portrait(1600, 1200, noise=0)
    column = img[:, int(head.eye_x)]
    not_backdrop = np.nonzero(np.any(np.abs(column.astype(int) - BACKDROP) > 20, axis=1))[0]
    assert abs(not_backdrop[0] - head.crown_y) <= 2
    skin_cols = np.nonzero(np.all(np.abs(img.astype(int) - SKIN) <= 2, axis=2).any(axis=0))[0]
    assert abs((skin_cols[-1] - skin_cols[0] + 1) - head.face_width) <= 3
