"""Where the face models are: the one lookup the checker, the self-test and the benchmarks share.

The models travel inside the ``kiosk`` package (``kiosk/models``, a link to the checkout's ``models/``
folder that the wheel build copies in), so a booth installed by pip finds them wherever it runs and from
any working folder. ``$KIOSK_MODELS_DIR`` or an explicit folder (``--models DIR``) overrides it, for
trying models built by ``models/train_attributes.py`` before they are committed.
"""

from __future__ import annotations

import os
from pathlib import Path

MODELS_ENV = "KIOSK_MODELS_DIR"
# Not resolved: in a source checkout it is the link to models/, in an installed wheel a real folder.
PACKAGED_MODELS = Path(__file__).resolve().parents[1] / "models"


def default_models_dir() -> Path:
    """``$KIOSK_MODELS_DIR`` when set, else the models shipped inside the package."""
    env = os.environ.get(MODELS_ENV)
    if env:
        return Path(env).expanduser()
    return PACKAGED_MODELS


def models_dir(explicit: str | Path | None = None) -> Path:
    """``explicit`` (a command line's ``--models``) when given, else ``default_models_dir()``."""
    return Path(explicit).expanduser() if explicit else default_models_dir()
