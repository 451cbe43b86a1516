#!/usr/bin/env bash
# CI steps for the booth as it is installed on a Pi, run by scripts/test.sh after the main suite:
#
#   1. wheel: build the kiosk wheel from a copy of the checkout (the build leaves the checkout alone).
#   2. installed booth: a fresh virtual environment outside the checkout gets the wheel (not editable)
#      under systemd/pi-constraints.txt (numpy < 2, OpenCV < 4.12: what the Pi runs), then
#      `kiosk selftest` (replay camera) and `kiosk check PHOTO` run from another folder. They find the
#      models the wheel carries, or this step fails.
#   3. Pi pins: the whole test suite again, with that environment's older numpy and OpenCV.
#   4. aarch64: every runtime dependency, and the s3 extra's (boto3, for an S3 booth), has a wheel for the
#      Pi (Bookworm: Python 3.11, aarch64, glibc 2.36), downloaded under the same constraints into a
#      temporary folder; no source builds.
#
#   scripts/test-pi-pins.sh [PYTEST ARGS...]     the arguments go to step 3's pytest
set -euo pipefail
cd "$(dirname "$0")/.."
checkout=$PWD
python=${PYTHON:-python3}
constraints=$checkout/systemd/pi-constraints.txt
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step() {
  printf '\n== %s\n' "$*"
}
fail() {
  printf 'test-pi-pins: %s\n' "$*" >&2
  exit 1
}

step "wheel: building from a copy of the checkout"
mkdir "$work/src"
# -L: kiosk/models is a link to models/; the copy holds the files themselves.
cp -rL pyproject.toml README.md kiosk "$work/src/"
.venv/bin/python -m pip wheel -q --no-deps "$work/src" -w "$work/dist" 2>"$work/build.log" ||
  { cat "$work/build.log" >&2; fail "the wheel did not build"; }
wheel=$(ls "$work"/dist/kiosk-*.whl)
# The listing is taken whole first: `zipfile -l | grep -q` breaks its pipe when grep stops early.
listing=$("$python" -m zipfile -l "$wheel")
grep -q 'kiosk/models/face_detection_short_range.tflite' <<<"$listing" ||
  fail "the wheel carries no face models"
echo "built $(basename "$wheel")"

step "installed booth: fresh venv outside the checkout, wheel installed non-editable under the Pi's pins"
"$python" -m venv "$work/venv"
venv=$work/venv
{
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q --constraint "$constraints" "kiosk[test] @ file://$wheel"
} >"$work/install.log" 2>&1 || { cat "$work/install.log" >&2; fail "the wheel did not install under the Pi's pins"; }

mkdir "$work/elsewhere"
cd "$work/elsewhere"
"$venv/bin/python" - <<'PY'
import cv2, numpy
import kiosk
print(f"numpy {numpy.__version__}, OpenCV {cv2.__version__}, kiosk from {kiosk.__file__}")
assert int(numpy.__version__.split(".")[0]) < 2, "the Pi's pins want numpy < 2"
assert tuple(int(p) for p in cv2.__version__.split(".")[:2]) < (4, 12), "the Pi's pins want OpenCV < 4.12"
assert "site-packages" in kiosk.__file__, "kiosk was not imported from the installed wheel"
PY
# The first-boot steps (docs/install.md): a keyring, the centre's key, a staff password.
"$venv/bin/kiosk" codes keygen --out "$work/data/keyring.toml" >/dev/null
"$venv/bin/kiosk" keys centre-keygen --out "$work/data" >/dev/null
echo "a staff password for the test" | "$venv/bin/kiosk" passwd --data "$work/data" --password-stdin >/dev/null
# The backdrop, from a picture of an empty light-blue backdrop (no camera here to point at one).
"$venv/bin/python" -c 'import cv2, numpy as np; cv2.imwrite("backdrop.png", np.full((600, 800, 3), (235, 180, 95), np.uint8))'
"$venv/bin/kiosk" calibrate --data "$work/data" --image backdrop.png
"$venv/bin/kiosk" selftest --data "$work/data" --skip clock || fail "kiosk selftest failed in the installed booth"
# A photo to judge: one of the shared face photos when they are there, else one made here (no face in it,
# so the check must say so: that still needs every model).
shared=$checkout/../shared/data/faces/celeba_wild_019167.jpg
if [ -f "$shared" ]; then
  cp "$shared" student.jpg
  want_face=1
else
  echo "(../shared/data/faces not found: judging a made-up photo without a face instead)"
  "$venv/bin/python" -c 'import cv2, numpy as np; cv2.imwrite("student.jpg", np.full((1200, 900, 3), (205, 190, 180), np.uint8))'
  want_face=0
fi
"$venv/bin/kiosk" check student.jpg
"$venv/bin/kiosk" check --json student.jpg >report.json || fail "kiosk check failed in the installed booth"
"$venv/bin/python" - "$want_face" <<'PY'
import json, sys
report = json.loads(open("report.json").read())
face = report["checks"]["single_face"]["pass"]
assert len(report["checks"]) > 10, report
assert face == (sys.argv[1] == "1"), f"single_face came out {face}"
print(f"kiosk check judged the photo with {len(report['checks'])} checks")
PY
cd "$checkout"

step "Pi pins: the test suite under numpy $("$venv/bin/python" -c 'import numpy; print(numpy.__version__)')"
"$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"

step "aarch64: a wheel for every runtime dependency and the s3 extra (Python 3.11, manylinux up to glibc 2.36)"
mapfile -t deps < <("$python" -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; print("\n".join(p["dependencies"] + p["optional-dependencies"]["s3"]))')
# Bookworm's glibc is 2.36, so any manylinux tag up to 2_36 runs there; pip needs each tag named.
platforms=(--platform manylinux2014_aarch64)
for minor in $(seq 17 36); do
  platforms+=(--platform "manylinux_2_${minor}_aarch64")
done
.venv/bin/python -m pip download -q --only-binary :all: "${platforms[@]}" --python-version 3.11 --implementation cp \
  --constraint "$constraints" --dest "$work/aarch64" "${deps[@]}" 2>"$work/download.log" ||
  { cat "$work/download.log" >&2; fail "a runtime dependency has no aarch64 wheel for Python 3.11"; }
find "$work/aarch64" -name "*.whl" -printf "  %f\n" | sort
echo "every runtime dependency has an aarch64 wheel"
