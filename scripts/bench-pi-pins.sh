#!/usr/bin/env bash
# Does the Pi judge photos as the development machine does? The compliance bench's photos are judged
# twice, by the development environment (.venv) and by a fresh one under systemd/pi-constraints.txt
# (numpy < 2, OpenCV < 4.12: what the Pi runs), and bench/pins.py compares the two per photo: whole
# verdicts, every check's outcome and score, the attribute probabilities. Markdown on stdout.
#
#   scripts/bench-pi-pins.sh [FACES_DIR] [DUMP ARGS...]    FACES_DIR defaults to ../shared/data/faces;
#                                                          DUMP ARGS go to `bench/pins.py dump` (--held 600)
#   PINS_VENV=DIR scripts/bench-pi-pins.sh                 keep the pinned environment in DIR (made once)
#
# The pinned environment gets the runtime dependencies only; the code judged is this checkout's.
set -euo pipefail
cd "$(dirname "$0")/.."
faces=${1:-../shared/data/faces}
[ $# -gt 0 ] && shift
python=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
venv=${PINS_VENV:-$work/venv}

if [ ! -x "$venv/bin/python" ]; then
  echo "making the pinned environment in $venv" >&2
  "$python" -m venv "$venv"
  mapfile -t deps < <("$python" -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))')
  {
    "$venv/bin/python" -m pip install -q --upgrade pip
    "$venv/bin/python" -m pip install -q --constraint systemd/pi-constraints.txt "${deps[@]}"
  } >"$work/install.log" 2>&1 || { cat "$work/install.log" >&2; echo "bench-pi-pins: the pinned install failed" >&2; exit 1; }
fi

.venv/bin/python bench/pins.py dump "$faces" --out "$work/dev.json" "$@" >&2
"$venv/bin/python" bench/pins.py dump "$faces" --out "$work/pins.json" "$@" >&2
.venv/bin/python bench/pins.py compare "$work/dev.json" "$work/pins.json"
