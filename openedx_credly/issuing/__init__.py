"""
The issuance state machine: holding exactly one Credly badge per achievement.

* ``issuance``: every transition of a ``BadgeIssuance`` (claim, sent, issued, failed,
  revoked, granted again), each one a conditional update; nothing else changes its state;
* ``delivery``: one attempt to issue a badge on Credly, its answers and its retries;
* ``revoking``: taking a badge back on Credly when the platform revokes the certificate;
* ``credly_records``: what Credly's badge objects mean for our rows, shared by sending,
  revoking and ``syncing``;
* ``retrying``: how long to wait after each kind of failure;
* ``scheduling``: hands work to Celery by task name, after the commit;
* ``badge_events``: announces BADGE_AWARDED / BADGE_REVOKED to the platform.

May use ``credly`` (the HTTP client), ``errorlog``, ``models`` and the leaves below;
never ``awarding``, ``syncing``, the audiences' packages, ``api`` or ``tasks``.
"""
