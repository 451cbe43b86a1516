"""A labelled photo folder in the shared set's shape (``labels.csv`` + ``meta.csv``) and its split.

The compliance bench (calibration) and the attribute training must agree on which people are held out,
or the bench would report on photos the model learnt from; both read the folder and the split here.
A deployment can use any folder of this shape, such as photos it holds the rights to.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LabelledPhoto:
    file: str
    identity: str
    variant: str
    labels: dict[str, str]  # column -> "0", "1" or "" (unknown)

    def label(self, column: str) -> int | None:
        """The 0/1 label, or None where the set does not say."""
        value = self.labels.get(column, "")
        return None if value == "" else int(value)


def split_hash(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest(), 16)


def held_out(identity: str) -> bool:
    """The held-out half: odd SHA-256 of the person's identity, so nobody is on both sides."""
    return split_hash(identity) % 2 == 1


def read_labelled(folder: Path) -> list[LabelledPhoto]:
    """Every photo that has both a labels.csv row and a meta.csv row, in meta.csv order."""
    with open(folder / "labels.csv", encoding="utf-8") as fh:
        labels = {r["file"]: r for r in csv.DictReader(fh)}
    with open(folder / "meta.csv", encoding="utf-8") as fh:
        meta = list(csv.DictReader(fh))
    return [
        LabelledPhoto(m["file"], m["identity"], m.get("variant", ""), labels[m["file"]])
        for m in meta
        if m["file"] in labels
    ]
