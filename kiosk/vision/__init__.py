"""Judging a still against the photo spec: the face models, one analysis per image, and the checks.

``checker.ComplianceChecker`` is what the booth and ``kiosk check`` call. ``analysis`` runs the face
models once per image (``detector``, ``landmarks``, ``segmentation``, ``hands``, ``attributes``, each loaded
through ``interpreter`` from ``model_dir``) and derives ``pose`` from the mesh; every check in
``checks/`` then judges that one analysis against the thresholds of a profile (``profiles``, adjusted to
this booth by its ``calibration``); ``report`` is what comes back. ``geometry`` is the spec 1.5
placement solver, kept here so that the check (``crop``) and the registration photo in ``kiosk.output``
cut the same rectangle. Nothing here knows about hardware.
"""
