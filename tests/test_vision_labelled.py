"""The labelled-folder reader and the person split shared by the compliance bench and the training."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from labelled import held_out, read_labelled  # noqa: E402


def test_reads_rows_in_both_files_and_keeps_unknown_labels_unknown(tmp_path):
    (tmp_path / "labels.csv").write_text("file,glasses,hat\na.jpg,1,\nb.jpg,0,1\nc.jpg,0,0\n", encoding="utf-8")
    (tmp_path / "meta.csv").write_text("file,variant,identity\nb.jpg,wild,7\na.jpg,aligned89,7\nz.jpg,wild,9\n")
    photos = read_labelled(tmp_path)
    assert [p.file for p in photos] == ["b.jpg", "a.jpg"]  # meta order; z.jpg has no labels, c.jpg no meta
    a = photos[1]
    assert a.label("glasses") == 1 and a.label("hat") is None and a.variant == "aligned89"


def test_split_is_by_person_and_about_half():
    people = [str(i) for i in range(2000)]
    share = sum(held_out(p) for p in people) / len(people)
    assert 0.45 < share < 0.55
    # Pinned: the shipped models were trained on this split; changing it would let the bench report on
    # photos the models learnt from.
    assert [held_out(p) for p in ("2880", "2937", "8692", "5805")] == [True, False, False, False]
