"""
The REST API (``/api/credly/v1/``): learners' badges, course staff's mappings and
learning paths, and Credly's webhook. An edge: it may use every package below the
entry points (``learners``, ``course_staff``, ``awarding``, ``syncing``, ``models``, ...);
nothing in the package imports it but ``urls``.
"""
