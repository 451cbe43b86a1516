"""The upload queue (outbox): sealed captures kept on the SD card until the centre has confirmed each one.

``outbox.Outbox`` is the one object callers hold; each job is a module of its own: ``states`` (the states
and the only moves between them), ``schema`` and ``store`` (the table: submit, claim, settle),
``folder`` and ``submit`` (the envelope files, the booth's side), ``reconcile`` and ``retention`` (files
and rows agree), ``database`` (open, rebuild a damaged file), ``staff`` (retry, void), ``export`` (USB)
and ``status``.
"""
