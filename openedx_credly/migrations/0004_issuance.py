"""Badge issuances: one row per attempt to hold a Credly badge (schema; data in 0005)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('openedx_credly', '0003_error_kind_credential_expiring'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='BadgeIssuance',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveIntegerField(default=1, verbose_name='number')),
                ('state', models.CharField(choices=[('queued', 'Queued'), ('pending', 'Pending acceptance'), ('accepted', 'Accepted'), ('rejected', 'Rejected'), ('revoked', 'Revoked'), ('failed', 'Failed')], default='queued', max_length=16, verbose_name='state')),
                ('credly_badge_id', models.CharField(blank=True, default='', max_length=64, verbose_name='Credly badge ID')),
                ('outcome_unclear', models.BooleanField(default=False, verbose_name='outcome unclear')),
                ('attempts', models.PositiveIntegerField(default=0, verbose_name='attempts')),
                ('attempts_allowed', models.PositiveIntegerField(default=0, verbose_name='attempts allowed')),
                ('last_error', models.TextField(blank=True, default='', verbose_name='last error')),
                ('last_attempt_at', models.DateTimeField(blank=True, null=True, verbose_name='last attempt at')),
                ('next_attempt_at', models.DateTimeField(blank=True, null=True, verbose_name='next attempt at')),
                ('claimed_until', models.DateTimeField(blank=True, editable=False, null=True)),
                ('claim_token', models.CharField(blank=True, default='', editable=False, max_length=32)),
                ('revoke_requested', models.BooleanField(default=False, verbose_name='revocation requested')),
                ('revoked_because', models.CharField(blank=True, default='', max_length=16, verbose_name='revoked because')),
                ('created', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('modified', models.DateTimeField(auto_now=True, verbose_name='modified')),
            ],
            options={
                'verbose_name': 'badge issuance',
                'verbose_name_plural': 'badge issuances',
                'ordering': ['badge', 'number'],
            },
        ),
        migrations.AddField(
            model_name='badgeissuance',
            name='badge',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='issuances', to='openedx_credly.issuedbadge', verbose_name='issued badge'),
        ),
        migrations.AddField(
            model_name='issuedbadge',
            name='current_issuance',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='openedx_credly.badgeissuance', verbose_name='current issuance'),
        ),
        migrations.AddIndex(
            model_name='badgeissuance',
            index=models.Index(fields=['state', 'next_attempt_at'], name='credly_issuance_state_next'),
        ),
        migrations.AddConstraint(
            model_name='badgeissuance',
            constraint=models.UniqueConstraint(fields=('badge', 'number'), name='credly_one_issuance_number'),
        ),
    ]
