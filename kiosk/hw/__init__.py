"""The booth's hardware edge: cameras, lights, the big button and the GPIO pin factory behind them.

Everything here talks to a device (or stands in for one: the replay camera, gpiozero's mock pins), and
nothing here knows about students, codes or checks. ``camera`` is the interface the rest of the booth
sees; ``factory`` picks the driver named by ``camera.source`` (``picam``, ``opencv_cam``, ``replay``)
and wraps it in ``supervisor``, which keeps it working through faults. ``lights`` follow the booth's
state, ``button`` posts the student's presses, and ``gpio`` makes the pin factory both use.
"""
