"""Helpers shared by the test modules: fakes at the hardware edge, rigs, servers and synthetic inputs.

They live here, not in ``test_*.py`` files, so each is imported once under one name
(``tests.helpers.x``; the repository root is on ``sys.path`` through pytest's ``pythonpath``) and no test
module imports another.
"""
