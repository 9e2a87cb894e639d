"""
Credly in, to us: keeping our record in step with what Credly knows.

* ``webhooks``: Credly's webhook events, each confirmed by reading the badge back;
* ``refresh``: re-reading badges still pending here, and importing badges issued
  outside the plugin (``manage.py credly_import_badges``, a learner's first visit);
* ``template_sync``: the organization's badge templates, synced into ``BadgeTemplate``.

May use ``issuing`` (every change to a badge goes through its state machine), ``credly``,
``errorlog``, ``models`` and the leaves below; never ``awarding``, the audiences'
packages, ``api`` or ``tasks``.
"""
