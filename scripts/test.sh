#!/usr/bin/env bash
# Install everything the tests need, then run them all (this is what CI runs).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --test
.venv/bin/ruff check kiosk tests bench models
.venv/bin/python -m pytest "$@"
