#!/usr/bin/env bash
# Show the booth's student page full screen on the Pi's touch screen, in Chromium's kiosk mode.
#
# Started by the desktop session (labwc autostart, or wayfire's [autostart] on older images), as the
# desktop user. It waits until the booth answers /readyz, so the student never sees a "this site
# can't be reached" page while the booth is still starting, then replaces itself with Chromium.
#
# Why a throw-away profile: after a power cut Chromium would offer to "restore pages" and show a crash
# bubble; a profile made fresh on every start has no previous session to restore, no saved
# passwords and no cache that could go stale.
#
# Settings (environment): KIOSK_URL (default http://127.0.0.1:8080/), KIOSK_WAIT_S (default 180 s:
# how long to wait for /readyz before opening the page anyway), KIOSK_BROWSER (the chromium binary).
set -euo pipefail

url=${KIOSK_URL:-http://127.0.0.1:8080/}
wait_s=${KIOSK_WAIT_S:-180}
ready_url="${url%/}/readyz"

log() {
  printf 'kiosk-browser: %s\n' "$*" >&2
}

find_browser() {
  local name
  if [ -n "${KIOSK_BROWSER:-}" ]; then
    printf '%s\n' "$KIOSK_BROWSER"
    return 0
  fi
  # Raspberry Pi OS Bookworm ships "chromium-browser" (a wrapper adding the Pi's own flags); newer
  # images and Debian call it "chromium".
  for name in chromium-browser chromium; do
    if command -v "$name" >/dev/null 2>&1; then
      command -v "$name"
      return 0
    fi
  done
  return 1
}

wait_until_ready() {
  local deadline status
  deadline=$((SECONDS + wait_s))
  while [ "$SECONDS" -lt "$deadline" ]; do
    status=$(curl --silent --output /dev/null --max-time 2 --write-out '%{http_code}' "$ready_url" || true)
    if [ "$status" = "200" ]; then
      return 0
    fi
    sleep 1
  done
  return 1
}

browser=$(find_browser) || {
  log "no chromium found: sudo apt install chromium (or chromium-browser on older images)"
  exit 1
}

if wait_until_ready; then
  log "booth is ready at $url"
else
  log "booth did not answer $ready_url within ${wait_s} s; opening the page anyway (see: journalctl -u kiosk)"
fi

# A fresh profile on every start, in the session's runtime folder (memory, emptied at logout).
# Removing the previous one also drops what a crashed Chromium left behind.
profile_parent=${XDG_RUNTIME_DIR:-/tmp/kiosk-$(id -u)}
profile="$profile_parent/kiosk-chromium"
install -d -m 0700 -- "$profile_parent"
rm -rf -- "$profile"
install -d -m 0700 -- "$profile"

# The commas below separate Chromium feature names inside one argument.
# shellcheck disable=SC2054
flags=(
  --kiosk
  --user-data-dir="$profile"
  --incognito
  --noerrdialogs
  --disable-infobars
  --no-first-run
  --no-default-browser-check
  --disable-translate
  --disable-features=Translate,TranslateUI,TouchpadOverscrollHistoryNavigation,MediaRouter
  --disable-session-crashed-bubble
  --hide-crash-restore-bubble
  --check-for-update-interval=31536000
  --disable-component-update
  --password-store=basic
  --autoplay-policy=no-user-gesture-required
  # Touch screen: touch events on, no pinch zoom, no swipe-to-go-back, no pull-to-refresh.
  --touch-events=enabled
  --disable-pinch
  --overscroll-history-navigation=0
  --disable-pull-to-refresh-effect
  # Wayland when the session is Wayland (labwc, wayfire), X11 otherwise.
  --ozone-platform-hint=auto
)

exec "$browser" "${flags[@]}" "$url"
