"""Foundation every other package stands on: configuration, clock, atomic files, image and zip limits, the
folder lock, the capture record, the latest-frame worker, durations for people and the one user-facing
error type. Nothing here imports another ``kiosk`` package.
"""
