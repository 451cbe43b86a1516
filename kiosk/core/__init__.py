"""Foundation every other package stands on: configuration, clock, atomic files, image loading limits, the
capture record.  Nothing here imports another ``kiosk`` package.
"""
