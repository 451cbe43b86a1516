#!/usr/bin/env bash
# Install the photo booth on Raspberry Pi OS Bookworm (64-bit) from this checkout.
#
#   sudo systemd/install.sh                 install or update; safe to run again
#   systemd/install.sh --dry-run            print every action instead of doing it (no root needed)
#
# Options:
#   --desktop-user NAME   the user whose desktop shows the booth page (default: the sudo user, else uid 1000)
#   --no-desktop          do not set up the kiosk browser, autologin or screen blanking
#   --skip-selftest       do not run `kiosk selftest` before starting the services
#   --no-start            install and enable the services, but do not (re)start them now
#   --print-config        print the config a fresh install would write, and change nothing
#
# What it does, in order: apt packages; the `kiosk` system user (groups video, gpio); /etc/kiosk with a
# config made from kiosk.example.toml (never overwritten); /var/lib/kiosk (0700, kiosk); a virtual
# environment at /opt/kiosk/venv made with --system-site-packages (so the OS's picamera2 and lgpio are
# visible) with this package pip-installed under pi-constraints.txt (numpy < 2, see docs/install.md), the
# face models inside it; the Chromium kiosk launcher and its desktop autostart; the systemd units; then
# `kiosk selftest`, and finally the services are enabled and started.
set -euo pipefail

prog=install
dry_run=0
desktop=1
selftest=1
start=1
desktop_user=""
print_config=0

usage() {
  sed -n '2,13s/^# \{0,1\}//p' "$0"
}

given=("$@")
while [ $# -gt 0 ]; do
  case $1 in
    --dry-run) dry_run=1 ;;
    --desktop-user)
      [ $# -ge 2 ] || { usage >&2; exit 2; }
      desktop_user=$2
      shift
      ;;
    --no-desktop) desktop=0 ;;
    --skip-selftest) selftest=0 ;;
    --no-start) start=0 ;;
    --print-config) print_config=1 ;;
    -h | --help) usage; exit 0 ;;
    *) printf 'install: unknown option %s\n' "$1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
checkout=$(dirname "$here")
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$here/common.sh"

prefix=/opt/kiosk
venv=$prefix/venv
etc=/etc/kiosk
config=$etc/kiosk.toml
data=/var/lib/kiosk
unit_dir=/etc/systemd/system
browser_bin=/usr/local/bin/kiosk-browser
units=(kiosk.service kiosk-uploader.service)

# The example config with the Pi's camera and GPIO library.
render_config() {
  local rendered
  rendered=$(sed -e 's/^source = "replay"$/source = "picamera2"/' \
    -e 's/^pin_factory = "mock"$/pin_factory = "lgpio"/' \
    "$checkout/kiosk.example.toml")
  grep -q '^source = "picamera2"$' <<<"$rendered" || die "kiosk.example.toml: cannot set camera.source"
  grep -q '^pin_factory = "lgpio"$' <<<"$rendered" || die "kiosk.example.toml: cannot set gpio.pin_factory"
  printf '%s\n' "$rendered"
}

if [ "$print_config" = 1 ]; then
  render_config
  exit 0
fi

need_root "${given[@]}"
for f in pyproject.toml kiosk.example.toml systemd/kiosk.service systemd/kiosk-uploader.service \
  systemd/kiosk-browser.sh systemd/pi-constraints.txt systemd/pi-requirements.txt; do
  [ -e "$checkout/$f" ] || die "$checkout/$f is missing: run me from a complete checkout"
done
[ "$dry_run" = 1 ] && say "dry run: printing the actions, changing nothing"

# --- system packages --------------------------------------------------------------------------------

# Newer images call the browser package "chromium"; older Bookworm images "chromium-browser".
chromium_package() {
  if apt-cache show chromium >/dev/null 2>&1; then
    echo chromium
  else
    echo chromium-browser
  fi
}

apt_packages=(python3-picamera2 python3-venv python3-lgpio libzbar0 "$(chromium_package)" fonts-noto-cjk curl)
say "installing system packages: ${apt_packages[*]}"
run apt-get update
run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${apt_packages[@]}"

# --- user and folders -------------------------------------------------------------------------------

for group in video gpio; do
  group_exists "$group" || run groupadd --system "$group"
done
if user_exists kiosk; then
  say "user kiosk exists"
else
  run useradd --system --user-group --home-dir "$data" --no-create-home --shell /usr/sbin/nologin kiosk
fi
run usermod --append --groups video,gpio kiosk

run install -d -m 0755 -o root -g root "$prefix"
run install -d -m 0750 -o root -g kiosk "$etc"
run install -d -m 0700 -o kiosk -g kiosk "$data"
# A folder kept from an earlier install may belong to an older kiosk uid.
run chown -R kiosk:kiosk "$data"

# A fresh install's config, never written over an existing one.
if [ -e "$config" ]; then
  say "keeping the existing $config"
else
  render_config | write_file 0640 root kiosk "$config"
fi

# --- the program ------------------------------------------------------------------------------------

# --system-site-packages: picamera2 and libcamera must come from the OS (they match its kernel and
# camera stack), and so must lgpio. Running venv on an existing folder only refreshes it.
run python3 -m venv --system-site-packages "$venv"
# The constraints keep numpy below 2, so the OS's numpy 1.24 (which the OS's simplejpeg, imported by
# picamera2, was built against) stays the one in use. See docs/install.md, "The numpy trap".
# Built from a copy, so the build's by-products (build/, *.egg-info, owned by root) stay out of the checkout.
sources=()
for item in pyproject.toml README.md LICENSE kiosk; do
  [ -e "$checkout/$item" ] && sources+=("$checkout/$item")
done
run rm -rf "$prefix/src"
run install -d -m 0755 "$prefix/src"
# -L: kiosk/models is a link to the checkout's models/; the face models are package data of the wheel.
run cp -rL "${sources[@]}" "$prefix/src/"
# Every dependency from the hashed pins (a file that differs from the one pinned is refused), then the
# booth itself without dependencies. numpy is pinned to the OS's own version, which already satisfies it.
run "$venv/bin/python" -m pip install --require-hashes --requirement "$here/pi-requirements.txt"
run "$venv/bin/python" -m pip install --upgrade --no-deps --no-build-isolation \
  --constraint "$here/pi-constraints.txt" "$prefix/src"
run "$venv/bin/python" -c 'import numpy as n; assert int(n.__version__.split(".")[0]) < 2, "numpy " + n.__version__'

run install -d -m 0755 "$prefix/docs"
[ -e "$checkout/models/face_detection_short_range.tflite" ] ||
  warn "no models in $checkout/models: the face check will fail (kiosk selftest says so)"
docs=("$checkout"/docs/*.md)
[ -e "${docs[0]}" ] && run install -m 0644 "${docs[@]}" "$prefix/docs/"

# --- the browser on the desktop ---------------------------------------------------------------------

run install -m 0755 "$here/kiosk-browser.sh" "$browser_bin"

# ini_set SECTION KEY VALUE < INI: the file with KEY = VALUE in [SECTION] (added or replaced).
ini_set() {
  awk -v section="[$1]" -v key="$2" -v value="$3" '
    function emit() { print key " = " value; done = 1 }
    /^\[/ { if (inside && !done) emit(); inside = ($0 == section) }
    inside && $0 ~ "^[ \t]*" key "[ \t]*=" { if (!done) emit(); next }
    { print }
    END { if (!done) { if (!inside) print "\n" section; emit() } }
  '
}

setup_desktop() {
  local user=$1 home group
  home=$(home_of "$user")
  group=$(id -gn "$user")
  [ -n "$home" ] || { warn "no home folder for $user: skipping the browser autostart"; return 0; }

  # labwc (the Bookworm default since late 2024): ~/.config/labwc/autostart is a shell script.
  local labwc=$home/.config/labwc/autostart
  if [ -e "$labwc" ] && grep -q kiosk-browser "$labwc"; then
    say "labwc autostart already starts the browser"
  else
    run install -d -m 0755 -o "$user" -g "$group" "$home/.config" "$home/.config/labwc"
    { [ -e "$labwc" ] && cat "$labwc"; cat "$here/labwc-autostart"; } | write_file 0644 "$user" "$group" "$labwc"
  fi

  # wayfire (older Bookworm images): an [autostart] entry, and no idle blanking.
  local wayfire=$home/.config/wayfire.ini
  if [ -e "$wayfire" ] || command -v wayfire >/dev/null 2>&1; then
    {
      [ -e "$wayfire" ] && cat "$wayfire"
      true
    } | ini_set autostart kiosk "$browser_bin" | ini_set idle dpms_timeout -1 |
      ini_set idle screensaver_timeout -1 | write_file 0644 "$user" "$group" "$wayfire"
  fi

  if command -v raspi-config >/dev/null 2>&1; then
    run raspi-config nonint do_blanking 1     # 1 = screen blanking off
    run raspi-config nonint do_boot_behaviour B4 # desktop, logged in automatically
  else
    say "skip: raspi-config not found (not Raspberry Pi OS): turn off screen blanking and enable desktop autologin by hand"
  fi
}

if [ "$desktop" = 1 ]; then
  desktop_user=${desktop_user:-$(desktop_user_default)}
  if [ -n "$desktop_user" ] && user_exists "$desktop_user"; then
    say "the booth page opens on the desktop of $desktop_user"
    setup_desktop "$desktop_user"
  else
    warn "no desktop user found (use --desktop-user NAME): skipping the browser autostart"
  fi
fi

# --- services ---------------------------------------------------------------------------------------

for unit in "${units[@]}"; do
  run install -m 0644 "$here/$unit" "$unit_dir/$unit"
done
run systemctl daemon-reload

selftest_status=0
if [ "$selftest" = 1 ]; then
  # The running booth holds the camera and the pins; the self-test needs them.
  if systemctl is-active --quiet kiosk.service 2>/dev/null; then
    run systemctl stop kiosk.service
  fi
  say "checking the hardware (kiosk selftest)"
  run runuser -u kiosk -- "$venv/bin/kiosk" selftest -c "$config" --data "$data" || selftest_status=$?
  if [ "$selftest_status" != 0 ]; then
    warn "the self-test found problems (above); the booth starts anyway and shows them on screen"
  fi
fi

run systemctl enable "${units[@]}"
if [ "$start" = 1 ]; then
  run systemctl restart "${units[@]}"
fi

say "done. Next: edit $config (upload target, booth id), put keyring.toml and centre.pub in $data,"
say "run: sudo -u kiosk $venv/bin/kiosk selftest -c $config --data $data   and reboot."
say "logs: journalctl -u kiosk -u kiosk-uploader -f"
