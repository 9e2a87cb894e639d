"""
Indexes for a site with millions of badges, and the learner an error-log entry is about.

Safe to run online on MariaDB/MySQL (InnoDB), while the LMS keeps writing:

* ``AddIndex``: Django emits a plain ``CREATE INDEX … ON … (…)``; InnoDB builds a secondary
  index with ``ALGORITHM=INPLACE, LOCK=NONE`` by default, so reads and writes go on while
  it is built (about 7 s per index on 2M issued badges on a small server).
* ``AddField`` of ``learner``: ``ALTER TABLE … ADD COLUMN learner_id integer NULL``
  (``ALGORITHM=INSTANT`` on MariaDB 10.3+ and MySQL 8) plus its index (in place, as above).
  The field has no database foreign key (``db_constraint=False``): adding one runs in place
  only with ``foreign_key_checks=0``, and otherwise copies the table under a lock.
* To be sure nothing falls back to a copy, migrate with ``SET SESSION
  alter_algorithm='INPLACE'`` (MariaDB 10.3+, e.g. as the database's ``init_command``): a
  statement that cannot run in place then fails instead of locking.
* The data step fills ``learner`` of existing entries that name a badge, in batches of
  1,000 rows by primary key.

Entries written before this migration without a badge (``learner data incomplete``) have no
learner: they keep their text until CREDLY_ERROR_LOG_RETENTION_DAYS removes them.
"""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

BATCH = 1000


def link_entries_to_learners(apps, schema_editor):
    """Set ``learner`` of the entries about a badge to the badge's learner, a batch at a time."""
    CredlyErrorLog = apps.get_model("openedx_credly", "CredlyErrorLog")
    IssuedBadge = apps.get_model("openedx_credly", "IssuedBadge")
    last_pk = 0
    while True:
        rows = list(CredlyErrorLog.objects.filter(pk__gt=last_pk, badge__isnull=False)
                    .order_by("pk").values_list("pk", "badge_id")[:BATCH])
        if not rows:
            return
        owners = dict(IssuedBadge.objects.filter(pk__in={badge_id for _pk, badge_id in rows})
                      .values_list("pk", "user_id"))
        by_learner = {}
        for pk, badge_id in rows:
            by_learner.setdefault(owners.get(badge_id), []).append(pk)
        for learner_id, pks in by_learner.items():
            if learner_id is not None:
                CredlyErrorLog.objects.filter(pk__in=pks).update(learner_id=learner_id)
        last_pk = rows[-1][0]


class Migration(migrations.Migration):

    dependencies = [
        ('openedx_credly', '0012_issuance_unique_credly_badge_id'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='credlyerrorlog',
            name='learner',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='learner'),
        ),
        migrations.AddIndex(
            model_name='issuedbadge',
            index=models.Index(fields=['state', 'template'], name='credly_badge_state_template'),
        ),
        migrations.AddIndex(
            model_name='issuedbadge',
            index=models.Index(fields=['recipient_email'], name='credly_badge_recipient_email'),
        ),
        migrations.AddIndex(
            model_name='issuedbadge',
            index=models.Index(fields=['earned_at'], name='credly_badge_earned'),
        ),
        migrations.AddIndex(
            model_name='issuedbadge',
            index=models.Index(fields=['state', 'earned_at'], name='credly_badge_state_earned'),
        ),
        migrations.AddIndex(
            model_name='webhookevent',
            index=models.Index(fields=['event_id'], name='credly_hook_event_id'),
        ),
        migrations.RunPython(link_entries_to_learners, migrations.RunPython.noop),
    ]
