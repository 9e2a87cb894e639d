"""Award Credly digital badges to Open edX learners."""

__version__ = "0.1.0"
