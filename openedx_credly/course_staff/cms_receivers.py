"""
Signals in, for Studio: the receivers of ``awarding/receivers.py`` plus Studio's own.

The plugin mechanism looks every receiver up in one module per project, so Studio's
module answers for both: its own receiver is defined here, and every other name is
read from ``awarding/receivers.py`` (which stays the one home of the learning receivers).
"""
from openedx_credly.awarding import receivers as _learning_receivers
from openedx_credly.course_staff.advanced_settings import on_course_catalog_info_changed

__all__ = ["on_course_catalog_info_changed"]


def __getattr__(name):
    return getattr(_learning_receivers, name)
