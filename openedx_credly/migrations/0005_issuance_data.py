"""Move the attempt fields of existing IssuedBadge rows into their first BadgeIssuance (reversible)."""
from django.db import migrations, models

MOVED = ("attempts", "last_error", "last_attempt_at", "next_attempt_at", "claimed_until", "claim_token")
# A badge Credly holds: its state and id belong to its issuance too.
ON_CREDLY = ("pending", "accepted", "rejected", "revoked")
BATCH = 1000


def forward(apps, schema_editor):  # pylint: disable=unused-argument
    """One issuance per existing badge, with its attempts, claim and Credly id."""
    IssuedBadge = apps.get_model("openedx_credly", "IssuedBadge")
    BadgeIssuance = apps.get_model("openedx_credly", "BadgeIssuance")
    rows = IssuedBadge.objects.filter(current_issuance__isnull=True).order_by("pk")
    while True:
        badges = list(rows.values("pk", "state", "credly_badge_id", *MOVED)[:BATCH])
        if not badges:
            break
        BadgeIssuance.objects.bulk_create([
            BadgeIssuance(
                badge_id=badge["pk"], number=1, state=badge["state"],
                credly_badge_id=badge["credly_badge_id"] if badge["state"] in ON_CREDLY else "",
                # An attempt was made and nothing recorded: Credly may hold the badge.
                outcome_unclear=badge["state"] == "queued" and badge["attempts"] > 0,
                attempts_allowed=max(badge["attempts"], 0) + 8 if badge["state"] == "failed" else 0,
                **{field: badge[field] for field in MOVED},
            ) for badge in badges
        ], ignore_conflicts=True)
        for issuance_id, badge_id in BadgeIssuance.objects.filter(
                badge_id__in=[badge["pk"] for badge in badges], number=1).values_list("pk", "badge_id"):
            IssuedBadge.objects.filter(pk=badge_id).update(current_issuance_id=issuance_id)


def backward(apps, schema_editor):  # pylint: disable=unused-argument
    """Copy each badge's current issuance's attempt fields back onto it."""
    IssuedBadge = apps.get_model("openedx_credly", "IssuedBadge")
    BadgeIssuance = apps.get_model("openedx_credly", "BadgeIssuance")
    for issuance in BadgeIssuance.objects.filter(
            pk__in=IssuedBadge.objects.filter(current_issuance__isnull=False).values("current_issuance_id")
    ).values("badge_id", *MOVED).iterator():
        IssuedBadge.objects.filter(pk=issuance.pop("badge_id")).update(**issuance)


class Migration(migrations.Migration):
    """Data first, then the old fields go (in reverse: the fields come back, then the data)."""

    dependencies = [
        ('openedx_credly', '0004_issuance'),
    ]

    operations = [
        migrations.RunPython(forward, backward),
        migrations.RemoveIndex(
            model_name='issuedbadge',
            name='credly_badge_state_next',
        ),
        migrations.RemoveField(
            model_name='issuedbadge',
            name='attempts',
        ),
        migrations.RemoveField(
            model_name='issuedbadge',
            name='claim_token',
        ),
        migrations.RemoveField(
            model_name='issuedbadge',
            name='claimed_until',
        ),
        migrations.RemoveField(
            model_name='issuedbadge',
            name='last_attempt_at',
        ),
        migrations.RemoveField(
            model_name='issuedbadge',
            name='last_error',
        ),
        migrations.RemoveField(
            model_name='issuedbadge',
            name='next_attempt_at',
        ),
        migrations.AddIndex(
            model_name='issuedbadge',
            index=models.Index(fields=['state', 'modified'], name='credly_badge_state_modified'),
        ),
    ]
