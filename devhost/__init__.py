"""
A standalone host that loads openedx-credly exactly as the LMS loads plugins.

Used by the test suite, the demo and the benchmarks; not shipped in the package.
"""
from devhost.celery import app as celery_app

__all__ = ["celery_app"]
