#!/usr/bin/env bash
# CI step: systemd/install.sh for real, as root, on this machine, then taken away again.
#
#   1. install.sh --no-desktop --no-start puts the booth into /opt/kiosk, /etc/kiosk, /var/lib/kiosk
#      (Raspberry Pi OS's own apt packages are skipped where apt does not know them).
#   2. `kiosk` is on PATH; `kiosk selftest --gate booth`, as the kiosk user, refuses a booth that is not
#      set up yet and names each step; after the first-boot steps (keyring, centre key, staff password)
#      it passes, and the whole self-test passes from the installed venv on a replay camera.
#   3. A second install.sh run changes nothing (every file's content, mode and owner; users and groups).
#   4. uninstall.sh --purge leaves nothing behind.
#
# It changes the real /opt, /etc, /var/lib and the user database, so it refuses to run over an existing
# install, takes a machine-wide lock (never two at once) and always cleans up. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
checkout=$PWD

fail() {
  printf 'test-install: FAIL: %s\n' "$*" >&2
  exit 1
}
step() {
  printf '\n== %s\n' "$*"
}

[ "$(id -u)" -eq 0 ] || { echo "test-install: skip: needs root (CI runs as root)"; exit 0; }
exec 8>/run/lock/kiosk-install-test.lock
flock 8
installed=(/opt/kiosk /etc/kiosk /var/lib/kiosk /usr/local/bin/kiosk /usr/local/bin/kiosk-browser
  /etc/systemd/system/kiosk.service /etc/systemd/system/kiosk-uploader.service)
for path in "${installed[@]}"; do
  [ ! -e "$path" ] || fail "$path exists: this machine has a booth installed; not testing over it"
done
id -u kiosk >/dev/null 2>&1 && fail "a user kiosk exists: not testing over it"
groups_before=$(getent group | cut -d: -f1 | sort)

work=$(mktemp -d)
chmod 0755 "$work"
cleanup() {
  systemd/uninstall.sh --purge >/dev/null 2>&1 || true
  rm -rf "${installed[@]}" "$work"
  id -u kiosk >/dev/null 2>&1 && userdel kiosk 2>/dev/null
  true
}
trap cleanup EXIT

# manifest: every installed file with its mode, owner and content (compiled .pyc files left out).
manifest() {
  find "${installed[@]}" /etc/systemd/system/multi-user.target.wants -path '*/__pycache__' -prune -o \
    -printf '%p %M %u %g %l\n' 2>/dev/null | sort
  find "${installed[@]}" -path '*/__pycache__' -prune -o -type f -print0 2>/dev/null | sort -z |
    xargs -0 sha256sum
  getent passwd kiosk
  getent group | cut -d: -f1 | sort
}

step "install.sh --no-desktop --no-start"
started=$SECONDS
systemd/install.sh --no-desktop --no-start | tee "$work/install.log"
echo "(first install: $((SECONDS - started)) s)"
grep -q "skip: systemd is not running here" "$work/install.log" || [ -d /run/systemd/system ] ||
  fail "install.sh did not say it skipped systemctl"
for path in "${installed[@]}"; do
  [ -e "$path" ] || fail "$path was not installed"
done
[ "$(stat -c '%a %U' /var/lib/kiosk)" = "700 kiosk" ] || fail "/var/lib/kiosk is not 0700 kiosk"
[ "$(stat -c '%a %U %G' /etc/kiosk/kiosk.toml)" = "640 root kiosk" ] || fail "/etc/kiosk/kiosk.toml is not 0640 root:kiosk"
[ "$(command -v kiosk)" = /usr/local/bin/kiosk ] || fail "kiosk is not on PATH"

step "the start gate refuses a booth that is not set up"
status=0
runuser -u kiosk -- kiosk selftest --gate booth >"$work/gate.txt" || status=$?
cat "$work/gate.txt"
[ "$status" = 1 ] || fail "selftest --gate booth exited $status on a fresh install, expected 1"
for name in keyring centre_key staff; do
  grep -q "FAIL  $name" "$work/gate.txt" || fail "the gate did not name the missing $name"
done
grep -q "ok    models" "$work/gate.txt" || fail "the installed booth does not find its models"

step "first boot: keyring, centre key, staff password, as docs/install.md says"
/opt/kiosk/venv/bin/kiosk codes keygen --out "$work/keyring.toml" >/dev/null
/opt/kiosk/venv/bin/kiosk keys centre-keygen --out "$work" >/dev/null
install -o kiosk -g kiosk -m 0600 "$work/keyring.toml" /var/lib/kiosk/
install -o kiosk -g kiosk -m 0644 "$work/centre.pub" /var/lib/kiosk/
echo "a staff password for the test" | runuser -u kiosk -- kiosk passwd --password-stdin
runuser -u kiosk -- kiosk selftest --gate booth || fail "the gate still refuses a booth that is set up"
# The backdrop from a picture (no camera here): as the kiosk user, into the installed data folder.
/opt/kiosk/venv/bin/python -c 'import cv2, numpy as np, sys; cv2.imwrite(sys.argv[1], np.full((600, 800, 3), (235, 180, 95), np.uint8))' \
  "$work/backdrop.png"
chmod 0644 "$work/backdrop.png"
runuser -u kiosk -- kiosk calibrate --image "$work/backdrop.png" || fail "kiosk calibrate failed"
runuser -u kiosk -- kiosk selftest --gate uploader || fail "the uploader's gate refuses a folder target"

step "kiosk selftest as the kiosk user from the installed venv (replay camera, mock pins: no Pi here)"
printf '[kiosk]\ndata_dir = "/var/lib/kiosk"\n[camera]\nsource = "replay"\n[gpio]\npin_factory = "mock"\n' \
  >"$work/replay.toml"
chmod 0644 "$work/replay.toml"
(cd "$work" && runuser -u kiosk -- /opt/kiosk/venv/bin/kiosk selftest -c "$work/replay.toml" --skip clock) ||
  fail "kiosk selftest failed in the installed booth"

step "a second install.sh run changes nothing"
manifest >"$work/before.txt"
systemd/install.sh --no-desktop --no-start >"$work/install2.log" 2>&1 || { cat "$work/install2.log"; fail "second install failed"; }
manifest >"$work/after.txt"
diff -u "$work/before.txt" "$work/after.txt" || fail "the second install changed the files above"
echo "no change"

step "uninstall.sh --purge leaves nothing behind"
systemd/uninstall.sh --purge
for path in "${installed[@]}" /etc/systemd/system/multi-user.target.wants/kiosk.service; do
  [ ! -e "$path" ] || fail "$path is left behind"
done
! id -u kiosk >/dev/null 2>&1 || fail "the user kiosk is left behind"
[ "$(getent group | cut -d: -f1 | sort)" = "$groups_before" ] || fail "groups differ from before the install"
echo "nothing left"
cd "$checkout"
