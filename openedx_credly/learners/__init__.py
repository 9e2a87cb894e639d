"""
What learners see and own: their badges, in their profile and inside a course.

* ``panel``: the badges a learner's profile shows, who may see them, accept links;
* ``course_badges``: the badges a course awards and where the learner stands;
* ``views``: the framed profile page (the JSON API lives in ``api/v1``);
* ``retirement``: erasing a learner's personal data when they retire their account.

May use ``awarding`` (a learning path's progress), ``issuing`` (scheduling the first
import), ``models``, ``platform`` and the leaves; never ``operators``, ``course_staff``,
``api`` or ``tasks``.
"""
