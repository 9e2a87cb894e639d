"""
Platform events in, achievements out: what earns a badge, and the record that it was earned.

* ``receivers``: the openedx-events receivers (certificates, passing, grades, enrollments);
  they never raise and never call Credly;
* ``achievements``: the ``Achievement`` a receiver builds from an event;
* ``award_rules``: whether a mapping's rules (grade range, modes) award an achievement;
* ``recording``: records an achievement as a queued ``IssuedBadge`` per awarding template;
* ``learning_paths`` and ``milestones``: badges over several courses, counted after commit;
* ``backfill``: the same decisions over learners who finished before a mapping existed;
* ``cached_facts`` and ``toggles``: cached counts and the operator's kill switch.

May use ``issuing`` (to start an issuance and schedule its task by name), ``models``,
``errorlog``, ``platform`` and the leaves below; never ``syncing``, the audiences'
packages, ``api`` or ``tasks``.
"""
