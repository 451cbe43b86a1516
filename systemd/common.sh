# shellcheck shell=bash
# Helpers shared by install.sh and uninstall.sh (sourced, not run).
#
# Every command that changes the machine goes through `run` (or `write_file`, which hands its real
# work to `run`), so `--dry-run` can print the whole plan and change nothing: read-only probes
# (id, getent, dpkg-query, test -e) run in both modes because the plan depends on them.

# Set to 1 by the calling script for --dry-run.
dry_run=${dry_run:-0}
prog=${prog:-kiosk}

say() {
  printf '%s: %s\n' "$prog" "$*"
}

warn() {
  printf '%s: warning: %s\n' "$prog" "$*" >&2
}

die() {
  printf '%s: %s\n' "$prog" "$*" >&2
  exit 1
}

# run CMD ARGS...: run a command that changes something; with --dry-run, print it shell-quoted.
run() {
  if [ "$dry_run" = 1 ]; then
    printf '+'
    printf ' %q' "$@"
    printf '\n'
    return 0
  fi
  "$@"
}

# write_file MODE OWNER GROUP DEST < CONTENT: replace DEST with stdin, atomically enough for config
# files (install(1) writes a new file). With --dry-run the content is read and summed up (its first
# lines that are not comments), not written.
write_file() {
  local mode=$1 owner=$2 group=$3 dest=$4
  if [ "$dry_run" = 1 ]; then
    printf '+ write %q (mode %s, owner %s:%s):\n' "$dest" "$mode" "$owner" "$group"
    awk '$0 !~ /^#/ && $0 != "" { shown++; if (shown <= 6) print "|   " $0 } END { if (shown > 6) print "|   ... and " shown - 6 " more lines" }'
    return 0
  fi
  run install -m "$mode" -o "$owner" -g "$group" /dev/stdin "$dest"
}

need_root() {
  if [ "$dry_run" != 1 ] && [ "$(id -u)" -ne 0 ]; then
    die "run me as root: sudo $0${*:+ $*} (or --dry-run to see what I would do)"
  fi
}

user_exists() {
  id -u "$1" >/dev/null 2>&1
}

group_exists() {
  getent group "$1" >/dev/null 2>&1
}

# home_of USER: the home folder of USER from the passwd database.
home_of() {
  getent passwd "$1" | cut -d: -f6
}

# desktop_user_default: the user who ran sudo, else the first ordinary user (uid 1000), else nothing.
desktop_user_default() {
  if [ -n "${SUDO_USER:-}" ] && [ "${SUDO_USER}" != root ]; then
    printf '%s\n' "$SUDO_USER"
    return 0
  fi
  getent passwd 1000 | cut -d: -f1 || true
}

unit_installed() {
  [ -e "/etc/systemd/system/$1" ]
}
