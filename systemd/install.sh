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
#   --s3                  also install boto3, for an uploader that sends to s3:// (chosen by itself when
#                         the existing config's upload target is s3://)
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
s3=0

usage() {
  sed -n '2,15s/^# \{0,1\}//p' "$0"
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
    --s3) s3=1 ;;
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
command_bin=/usr/local/bin/kiosk
units=(kiosk.service kiosk-uploader.service)

# The example config with the Pi's camera and GPIO library.
render_config() {
  local rendered
  rendered=$(sed -e 's/^source = "replay"$/source = "picamera2"/' \
    -e 's/^pin_factory = "mock"$/pin_factory = "lgpio"/' \
    -e 's|^data_dir = ""$|data_dir = "/var/lib/kiosk"|' \
    "$checkout/kiosk.example.toml")
  grep -q '^source = "picamera2"$' <<<"$rendered" || die "kiosk.example.toml: cannot set camera.source"
  grep -q '^pin_factory = "lgpio"$' <<<"$rendered" || die "kiosk.example.toml: cannot set gpio.pin_factory"
  grep -q '^data_dir = "/var/lib/kiosk"$' <<<"$rendered" || die "kiosk.example.toml: cannot set kiosk.data_dir"
  printf '%s\n' "$rendered"
}

if [ "$print_config" = 1 ]; then
  render_config
  exit 0
fi

need_root "${given[@]}"
for f in pyproject.toml kiosk.example.toml systemd/kiosk.service systemd/kiosk-uploader.service \
  systemd/kiosk-browser.sh systemd/kiosk-command.sh systemd/pi-constraints.txt systemd/pi-requirements.txt; do
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

# The camera stack and the GPIO library exist only in Raspberry Pi OS's apt sources: elsewhere (a test
# machine, a plain Debian) they are skipped with one line each, and the self-test names what is missing.
pi_only_packages=(python3-picamera2 python3-lgpio)
wanted_packages=("${pi_only_packages[@]}" python3-venv libzbar0 fonts-noto-cjk curl)
[ "$desktop" = 1 ] && wanted_packages+=("$(chromium_package)")
run apt-get update
apt_packages=()
for pkg in "${wanted_packages[@]}"; do
  if [[ " ${pi_only_packages[*]} " == *" $pkg "* ]] && ! apt-cache show "$pkg" >/dev/null 2>&1; then
    say "skip: $pkg is not in this machine's apt sources (Raspberry Pi OS only)"
  else
    apt_packages+=("$pkg")
  fi
done
say "installing system packages: ${apt_packages[*]}"
run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${apt_packages[@]}"

# --- user and folders -------------------------------------------------------------------------------

# Groups this installer made (a Pi has both already) are listed in $prefix/made-groups for uninstall.sh.
made_groups=()
for group in video gpio; do
  if ! group_exists "$group"; then
    run groupadd --system "$group"
    made_groups+=("$group")
  fi
done
if user_exists kiosk; then
  say "user kiosk exists"
else
  run useradd --system --user-group --home-dir "$data" --no-create-home --shell /usr/sbin/nologin kiosk
fi
run usermod --append --groups video,gpio kiosk

run install -d -m 0755 -o root -g root "$prefix"
if [ "${#made_groups[@]}" -gt 0 ]; then
  { [ -e "$prefix/made-groups" ] && cat "$prefix/made-groups"; printf '%s\n' "${made_groups[@]}"; } | sort -u |
    write_file 0644 root root "$prefix/made-groups"
fi
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

# boto3 is the optional "s3" extra: only a booth whose uploader sends to s3:// needs it.
if [ "$s3" = 0 ] && [ -e "$config" ] && grep -Eq '^[[:space:]]*target[[:space:]]*=[[:space:]]*"s3://' "$config"; then
  say "$config sends to s3://: installing boto3 as well (as with --s3)"
  s3=1
fi
pins=$here/pi-requirements.txt
[ "$s3" = 1 ] && pins=$here/pi-requirements-s3.txt
[ -e "$pins" ] || die "$pins is missing: run me from a complete checkout"

# --system-site-packages: picamera2 and libcamera must come from the OS (they match its kernel and
# camera stack), and so must lgpio. Running venv on an existing folder only refreshes it.
# The OS's own Python (not one first on PATH): its site-packages hold picamera2 and lgpio.
run /usr/bin/python3 -m venv --system-site-packages "$venv"
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
# (An S3 booth's pins are the same plus boto3 and what it needs.)
run "$venv/bin/python" -m pip install --require-hashes --requirement "$pins"
run "$venv/bin/python" -m pip install --upgrade --no-deps --no-build-isolation \
  --constraint "$here/pi-constraints.txt" "$prefix/src"
run "$venv/bin/python" -c 'import numpy as n; assert int(n.__version__.split(".")[0]) < 2, "numpy " + n.__version__'

run install -d -m 0755 "$prefix/docs"
[ -e "$checkout/models/face_detection_short_range.tflite" ] ||
  warn "no models in $checkout/models: the face check will fail (kiosk selftest says so)"
docs=("$checkout"/docs/*.md)
[ -e "${docs[0]}" ] && run install -m 0644 "${docs[@]}" "$prefix/docs/"

# `kiosk` on PATH for technicians and staff: the installed program on the installed config.
run install -m 0755 "$here/kiosk-command.sh" "$command_bin"

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

# systemctl needs systemd running as PID 1; in a container or a chroot it is not (the units are still
# installed; enable and start them on the booth itself).
systemd_up=1
if [ "$dry_run" != 1 ] && [ ! -d /run/systemd/system ]; then
  systemd_up=0
  say "skip: systemd is not running here (a container or chroot?): not reloading, enabling or starting the services"
fi
if [ "$systemd_up" = 1 ]; then
  run systemctl daemon-reload
fi

selftest_status=0
if [ "$selftest" = 1 ]; then
  # The running booth holds the camera and the pins; the self-test needs them.
  if [ "$systemd_up" = 1 ] && systemctl is-active --quiet kiosk.service 2>/dev/null; then
    run systemctl stop kiosk.service
  fi
  say "checking the hardware and the set-up (kiosk selftest)"
  run runuser -u kiosk -- "$venv/bin/kiosk" selftest -c "$config" --data "$data" || selftest_status=$?
  if [ "$selftest_status" != 0 ]; then
    warn "the self-test found problems (above): each FAIL line has a hint; the first-boot steps below fix most"
  fi
fi

if [ "$systemd_up" = 1 ]; then
  run systemctl enable "${units[@]}"
  if [ "$start" = 1 ]; then
    # Each unit runs `kiosk selftest --gate` first (ExecCondition=): a booth that is not set up yet
    # stays stopped instead of restarting in a loop.
    run systemctl restart "${units[@]}"
  fi
fi

cat <<EOF

install: done. First boot, in order (docs/install.md, "First boot"):
  1. the centre's keyring:        sudo install -o kiosk -g kiosk -m 0600 keyring.toml $data/
  2. the centre's public key:     sudo install -o kiosk -g kiosk -m 0644 centre.pub $data/
  3. upload target and token:     sudoedit $config   ([upload] target, token_file = "$data/upload-token")
                                  sudo install -o kiosk -g kiosk -m 0600 token.txt $data/upload-token
  4. a staff password:            sudo -u kiosk kiosk passwd
  5. how staff reach the console: http://127.0.0.1:8081/staff/ on the booth's own screen; for staff
                                  laptops and phones see docs/install.md, "The staff console"
  6. calibrate (lights on):       sudo -u kiosk kiosk calibrate          (nobody in front of the backdrop)
                                  sudo -u kiosk kiosk calibrate --pose   (someone seated, looking at the lens)
  7. everything in order?         sudo -u kiosk kiosk selftest --button-wait 10
  8. start the booth:             sudo systemctl start kiosk kiosk-uploader   (or reboot)
The services start only once 'kiosk selftest --gate booth' passes (ExecCondition= in the units).
Logs: journalctl -u kiosk -u kiosk-uploader -f
EOF
