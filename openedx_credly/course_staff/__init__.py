"""
What course teams set: which Credly template a course awards, and on what.

* ``course_settings``: creating and changing a course's mappings, checked the same way
  for the REST API, Studio and the admin;
* ``advanced_settings``: the badge choice in Studio's Advanced Settings, mirrored into
  mappings when the course is published;
* ``cms_receivers``: Studio's signal receivers.

May use ``awarding``, ``models``, ``errorlog``, ``platform`` and the leaves; never
``learners``, ``operators``, ``api`` or ``tasks``.
"""
