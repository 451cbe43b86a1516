#!/usr/bin/env bash
# Install everything the tests need, then run them all (this is what CI runs).
#   scripts/test.sh [PYTEST ARGS...]   the arguments go to the first pytest run only
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --test
.venv/bin/ruff check kiosk tests bench models
.venv/bin/ruff format --check kiosk tests bench models
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
# The wheel installed outside the checkout, the suite again under the Pi's pins, aarch64 wheels.
scripts/test-pi-pins.sh
# systemd/install.sh for real (as root): install, first boot, a second run that changes nothing, uninstall.
scripts/test-install.sh
