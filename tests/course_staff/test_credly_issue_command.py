"""``credly_issue``: a dry run prints exactly what Credly would receive; a real run uses the normal queue."""
import json
from datetime import datetime, timezone

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from devhost.standin import models as standin
from openedx_credly.models import BadgeTemplate, CourseBadgeTemplate, CredlyOrganization, IssuedBadge
from tests.conftest import CREDLY_API, ORG_ID, TEMPLATE_ID, TOKEN, make_learner

PAYLOAD_KEYS = {
    "recipient_email", "issued_to_first_name", "issued_to_last_name", "badge_template_id", "issued_at",
    "issuer_earner_id", "suppress_badge_notification_email", "locale", "evidence",
}


def run(*args):
    return call_command("credly_issue", *args)


def parse_dry_run(out):
    """The dry run's stdout: ``POST <url>`` then the JSON body, per template."""
    first_line, _, body = out.partition("\n")
    method, url = first_line.split(" ", 1)
    return method, url, json.loads(body)


def test_dry_run_prints_the_exact_request_and_no_secret(mapping, learner, course_key, capsys, settings):
    standin.Course.objects.create(course_id=course_key, display_name="Credly 101")
    standin.Certificate.objects.create(user=learner, course_id=course_key,
                                       created_date=datetime(2025, 3, 4, 5, 6, 7, tzinfo=timezone.utc))

    run("--course", str(course_key), "--user", learner.username, "--dry-run")

    captured = capsys.readouterr()
    method, url, payload = parse_dry_run(captured.out)
    assert (method, url) == ("POST", f"{CREDLY_API}organizations/{ORG_ID}/badges")
    assert set(payload) == PAYLOAD_KEYS
    assert payload["recipient_email"] == "ada@example.com"
    assert (payload["issued_to_first_name"], payload["issued_to_last_name"]) == ("Ada", "Lovelace")
    assert payload["badge_template_id"] == TEMPLATE_ID
    assert payload["issued_at"] == "2025-03-04 05:06:07 +0000"  # when the certificate was earned
    assert payload["issuer_earner_id"].endswith(str(learner.pk))
    assert payload["evidence"][0]["name"] == "Credly 101"
    assert TOKEN not in captured.out + captured.err
    assert "Authorization" not in captured.out + captured.err
    assert not IssuedBadge.objects.exists()


def test_dry_run_for_a_learner_who_has_not_earned_it_dates_now_and_says_so(mapping, learner, course_key, capsys):
    run("--course", str(course_key), "--user", learner.username, "--dry-run")

    captured = capsys.readouterr()
    _method, _url, payload = parse_dry_run(captured.out)
    assert payload["issued_at"].startswith(str(datetime.now(timezone.utc).year))
    assert "has not earned" in captured.err


def test_dry_run_of_an_oauth_organization_prints_no_secret(template, organization, mapping, learner, course_key, *,
                                                           capsys):
    organization.client_id, organization.client_secret = "client-1", "oauth-secret-value-123"
    organization.save()

    run("--course", str(course_key), "--user", learner.username, "--dry-run")

    captured = capsys.readouterr()
    assert "oauth-secret-value-123" not in captured.out + captured.err


def test_real_run_issues_through_the_queue(transactional_db, use_fake_credly, course_key, capsys):
    """As in production, the command runs outside any transaction: the send follows the commit at once."""
    org = use_fake_credly.state.add_organization("Academy", token="issue-token-123456")
    remote = use_fake_credly.state.add_template(org["id"], "Finisher")
    organization = CredlyOrganization.objects.create(name="Academy", organization_id=org["id"], api_token=org["token"])
    template = BadgeTemplate.objects.create(organization=organization, template_id=remote["id"], name="Finisher")
    CourseBadgeTemplate.objects.create(course_id=course_key, template=template)
    learner = make_learner()

    run("--course", str(course_key), "--user", "ada")
    first = capsys.readouterr().out
    run("--course", str(course_key), "--user", "ada")
    second = capsys.readouterr().out

    badge = IssuedBadge.objects.get()
    assert badge.user == learner and badge.state == IssuedBadge.STATE_PENDING
    assert "Finisher: pending" in first and badge.credly_badge_id in first
    assert "Finisher: pending" in second
    assert len(use_fake_credly.state.all_badges()) == 1
    assert "issue-token-123456" not in first + second


def test_template_option_picks_one_of_the_course_templates(mapping, learner, course_key, capsys, organization):
    other = BadgeTemplate.objects.create(organization=organization, template_id="other-template", name="Other")
    CourseBadgeTemplate.objects.create(course_id=course_key, template=other, trigger="passing")

    run("--course", str(course_key), "--user", "ada", "--template", "other-template", "--dry-run")

    _method, _url, payload = parse_dry_run(capsys.readouterr().out)
    assert payload["badge_template_id"] == "other-template"


@pytest.mark.parametrize("args, message", [
    (["--course", "nonsense", "--user", "ada"], "not a course id"),
    (["--course", "course-v1:OpenCraft+CR101+2026", "--user", "nobody"], "No user"),
    (["--course", "course-v1:Other+X+1", "--user", "ada"], "does not award"),
    (["--course", "course-v1:OpenCraft+CR101+2026", "--user", "ada", "--template", "nope"], "does not award"),
])
def test_errors(mapping, learner, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not IssuedBadge.objects.exists()


def test_inactive_learner_is_refused(mapping, learner, course_key):
    learner.is_active = False
    learner.save()

    with pytest.raises(CommandError, match="inactive"):
        run("--course", str(course_key), "--user", "ada")
