"""
The Django admin and what operators run the plugin with.

* ``admin``, ``admin_actions``, ``admin_learning_paths``, ``admin_lists``: the admin pages
  (connections, templates, course mappings, learning paths, issued badges, error log);
  ``apps.ready`` imports ``admin``, as this layout has no ``openedx_credly/admin.py``;
* ``forms``: the admin forms, credentials checked live against Credly;
* ``health``: whether the periodic sweeper runs;
* ``retention``: pruning old error-log entries and webhook events.

May use everything below it (``course_staff``, ``learners``, ``awarding``, ``syncing``,
``issuing``, ``credly``, ``models``, the leaves); never ``api``, ``management`` or ``tasks``.
"""
