"""The operator's switches, read in one place each."""
from django.conf import settings


def is_issuing_enabled():
    """
    Whether platform events may earn new badges (the ``CREDLY_ISSUING_ENABLED`` kill switch).

    Annotated with the plugin's other settings, in ``settings/common.py``.
    """
    return bool(getattr(settings, "CREDLY_ISSUING_ENABLED", True))
