"""
One Credly badge, one row: ``HeldCredlyBadge`` (unique organization and Credly badge id), filled
from the ids rows already hold; when a revocation was sent (``BadgeIssuance.revoke_sent_at``);
and the index of the sweeper's due revocations.

Existing rows bind their ids oldest first; should two rows already hold one id (the bug this
closes), the older keeps it and the newer is left as it is, for an operator to look at.
"""
import django.db.models.deletion
from django.db import migrations, models

BATCH = 1000


def bind_held_ids(apps, schema_editor):  # pylint: disable=unused-argument
    """A ``HeldCredlyBadge`` for every Credly id an issuance or a badge holds, oldest first."""
    BadgeIssuance = apps.get_model("openedx_credly", "BadgeIssuance")
    IssuedBadge = apps.get_model("openedx_credly", "IssuedBadge")
    HeldCredlyBadge = apps.get_model("openedx_credly", "HeldCredlyBadge")
    for model, badge_field in ((BadgeIssuance, "badge_id"), (IssuedBadge, "pk")):
        organization = "badge__template__organization_id" if model is BadgeIssuance else "template__organization_id"
        rows = model.objects.exclude(credly_badge_id="").order_by("pk").values_list(
            "pk", badge_field, organization, "credly_badge_id")
        last = 0
        while True:
            batch = list(rows.filter(pk__gt=last)[:BATCH])
            if not batch:
                break
            HeldCredlyBadge.objects.bulk_create([
                HeldCredlyBadge(badge_id=badge_id, organization_id=organization_id, credly_badge_id=credly_badge_id)
                for _pk, badge_id, organization_id, credly_badge_id in batch
            ], ignore_conflicts=True)
            last = batch[-1][0]


class Migration(migrations.Migration):

    dependencies = [
        ('openedx_credly', '0011_issued_badge_milestone'),
    ]

    operations = [
        migrations.CreateModel(
            name='HeldCredlyBadge',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('credly_badge_id', models.CharField(max_length=64, verbose_name='Credly badge ID')),
                ('created', models.DateTimeField(auto_now_add=True, verbose_name='created')),
            ],
            options={
                'verbose_name': 'held Credly badge',
                'verbose_name_plural': 'held Credly badges',
            },
        ),
        migrations.AddField(
            model_name='badgeissuance',
            name='revoke_sent_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='revocation sent at'),
        ),
        migrations.AddIndex(
            model_name='badgeissuance',
            index=models.Index(fields=['revoke_requested', 'next_attempt_at'], name='credly_issuance_revoke_next'),
        ),
        migrations.AddField(
            model_name='heldcredlybadge',
            name='badge',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='held_credly_badges', to='openedx_credly.issuedbadge', verbose_name='issued badge'),
        ),
        migrations.AddField(
            model_name='heldcredlybadge',
            name='organization',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='held_badges', to='openedx_credly.credlyorganization', verbose_name='organization'),
        ),
        migrations.AddConstraint(
            model_name='heldcredlybadge',
            constraint=models.UniqueConstraint(fields=('organization', 'credly_badge_id'), name='credly_one_row_per_credly_badge'),
        ),
        migrations.RunPython(bind_held_ids, migrations.RunPython.noop),
    ]
