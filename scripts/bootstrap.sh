#!/usr/bin/env bash
# Install what the booth needs on a Debian-family machine: system packages, a virtual environment in
# .venv and the kiosk package in it. Idempotent: a second run only checks.
#   scripts/bootstrap.sh          the booth itself
#   scripts/bootstrap.sh --s3     the booth with boto3, for an uploader that sends to s3:// (the "s3" extra)
#   scripts/bootstrap.sh --test   also what the tests need (Debian's chromium, fonts, systemd-analyze,
#                                 node and npm for axe-core, which the browser tests inject into pages,
#                                 prometheus for promtool, which checks the alert rules in deploy/,
#                                 cups for the printing tests, which run a private scheduler)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
want_s3=0
for arg in "$@"; do
  case $arg in
    --test) want_test=1 ;;
    --s3) want_s3=1 ;;
    *) echo "bootstrap: unknown option $arg (--test, --s3)" >&2; exit 2 ;;
  esac
done

apt_packages=(libzbar0 fonts-noto-cjk)
[ "$want_test" = 1 ] && apt_packages+=(chromium systemd prometheus cups cups-client)
# Debian's npm only where no npm is installed (a nodejs package that ships its own npm conflicts with it).
[ "$want_test" = 1 ] && ! command -v npm >/dev/null && apt_packages+=(nodejs npm)

missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if command -v apt-get >/dev/null; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "bootstrap: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "bootstrap: please install these system packages: ${missing[*]}" >&2
  fi
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# The test extra includes boto3, so --test alone also covers the S3 tests.
extras=()
[ "$want_test" = 1 ] && extras+=(test)
[ "$want_s3" = 1 ] && extras+=(s3)
if [ "${#extras[@]}" -gt 0 ]; then
  .venv/bin/python -m pip install -q -e ".[$(IFS=,; echo "${extras[*]}")]"
else
  .venv/bin/python -m pip install -q -e .
fi

if [ "$want_test" = 1 ]; then
  # axe-core, pinned by tests/js/package-lock.json; npm ci again only when the lock file changed.
  if [ ! -f tests/js/node_modules/axe-core/axe.min.js ] || [ tests/js/package-lock.json -nt tests/js/node_modules/.package-lock.json ]; then
    (cd tests/js && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
