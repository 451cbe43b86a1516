#!/usr/bin/env bash
# Remove the photo booth installed by install.sh.
#
#   sudo systemd/uninstall.sh               remove services, program, browser autostart and the kiosk user
#   sudo systemd/uninstall.sh --purge       ... and also the data (/var/lib/kiosk) and config (/etc/kiosk)
#   systemd/uninstall.sh --dry-run          print every action instead of doing it
#
# Options:
#   --desktop-user NAME   the user whose desktop autostart to clean (default: the sudo user, else uid 1000)
#
# Without --purge the data folder is kept on purpose: it may hold photos the centre has not received
# yet. The apt packages stay too (the desktop uses some of them).
set -euo pipefail

prog=uninstall
dry_run=0
purge=0
desktop_user=""

usage() {
  sed -n '2,10s/^# \{0,1\}//p' "$0"
}

given=("$@")
while [ $# -gt 0 ]; do
  case $1 in
    --dry-run) dry_run=1 ;;
    --purge) purge=1 ;;
    --desktop-user)
      [ $# -ge 2 ] || { usage >&2; exit 2; }
      desktop_user=$2
      shift
      ;;
    -h | --help) usage; exit 0 ;;
    *) printf 'uninstall: unknown option %s\n' "$1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$here/common.sh"

need_root "${given[@]}"
[ "$dry_run" = 1 ] && say "dry run: printing the actions, changing nothing"

# systemctl needs systemd running as PID 1 (not so in a container or chroot): then only files are removed.
systemd_up=1
if [ "$dry_run" != 1 ] && [ ! -d /run/systemd/system ]; then
  systemd_up=0
  say "skip: systemd is not running here (a container or chroot?): not stopping or disabling the services"
fi

units=(kiosk.service kiosk-uploader.service)
for unit in "${units[@]}"; do
  if unit_installed "$unit"; then
    if [ "$systemd_up" = 1 ]; then
      run systemctl disable --now "$unit"
    fi
    run rm -f "/etc/systemd/system/$unit"
  fi
  # Left by `systemctl enable` when systemd was not running to do the disabling.
  run rm -f "/etc/systemd/system/multi-user.target.wants/$unit"
done
run rm -rf /etc/systemd/system/kiosk.service.d /etc/systemd/system/kiosk-uploader.service.d
if [ "$systemd_up" = 1 ]; then
  run systemctl daemon-reload
  run systemctl reset-failed kiosk.service kiosk-uploader.service || true
fi

run rm -f /usr/local/bin/kiosk-browser /usr/local/bin/kiosk
# Groups install.sh made because the machine had none (a Pi has video and gpio already).
made_groups=()
if [ -e /opt/kiosk/made-groups ]; then
  mapfile -t made_groups </opt/kiosk/made-groups
fi
run rm -rf /opt/kiosk

# Take the browser out of the desktop's autostart, leaving everything else in those files alone.
desktop_user=${desktop_user:-$(desktop_user_default)}
if [ -n "$desktop_user" ] && user_exists "$desktop_user"; then
  home=$(home_of "$desktop_user")
  group=$(id -gn "$desktop_user")
  for file in "$home/.config/labwc/autostart" "$home/.config/wayfire.ini"; do
    if [ -e "$file" ] && grep -q kiosk-browser "$file"; then
      { grep -v -e kiosk-browser -e '^# Graduation photo booth' -e '^# lwrespawn (Raspberry Pi OS)' "$file" || true; } |
        write_file 0644 "$desktop_user" "$group" "$file"
    fi
  done
fi

if user_exists kiosk; then
  run userdel kiosk
fi
for group in "${made_groups[@]}"; do
  if group_exists "$group"; then
    run groupdel "$group"
  fi
done

if [ "$purge" = 1 ]; then
  run rm -rf /var/lib/kiosk /etc/kiosk
  say "removed everything, including the data and the config"
else
  say "kept /var/lib/kiosk (photos, database, keys) and /etc/kiosk; --purge removes them"
fi
