#!/bin/sh
# /usr/local/bin/kiosk: the installed booth's command for technicians and staff (installed by install.sh).
# It runs the booth's own program on the installed config, so `sudo -u kiosk kiosk passwd` or
# `kiosk selftest` need no paths; -c FILE and --data DIR still choose others.
KIOSK_CONFIG=${KIOSK_CONFIG:-/etc/kiosk/kiosk.toml}
export KIOSK_CONFIG
exec /opt/kiosk/venv/bin/kiosk "$@"
