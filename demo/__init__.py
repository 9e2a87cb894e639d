"""
``make demo``: the whole product on one machine, with nothing to configure.

A fake Credly (``fake_credly``) stands in for credly.com; the standalone host
(``devhost``) loads the plugin exactly as the LMS does; a learner passes one course
and earns the certificate of another through the real openedx-events signals, and
Celery issues their badges. ``python -m demo --help`` lists the options; the steps
live in ``demo/scenario.py``. Never shipped in the wheel.
"""
