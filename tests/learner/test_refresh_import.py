"""``credly_refresh_badges`` and ``credly_import_badges`` against the fake Credly."""
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from opaque_keys.edx.keys import CourseKey

from openedx_credly import tasks
from openedx_credly.issuing import credly_records, delivery, issuance
from openedx_credly.models import BadgeTemplate, CourseBadgeTemplate, IssuedBadge
from openedx_credly.syncing import refresh
from tests.conftest import ORG_ID, TEMPLATE_ID, make_learner
from tests.learner.conftest import issue_on_fake, make_badge

pytestmark = pytest.mark.django_db


def run(command, *args):
    out = StringIO()
    call_command(command, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def badges_get_count(fake):
    return fake.state.stats()["by_route"].get("GET badges_show", 0)


def recorded_on_fake(fake, user, template, **fields):
    data = issue_on_fake(fake, user.email, earner_id=f"openedx-user-{user.pk}")
    return data, make_badge(user, template, credly_badge_id=data["id"], accept_url=data["accept_badge_url"],
                            badge_url=data["badge_url"], state_updated_at=None, **fields)


# ---------------------------------------------------------------- refresh


def test_refresh_brings_pending_badges_in_step(learner, other_learner, template, organization, fake_org):
    accepted_data, accepted = recorded_on_fake(fake_org, learner, template)
    second = BadgeTemplate.objects.create(organization=organization, template_id="second", name="Second")
    fake_org.state.add_template(ORG_ID, "Second", id="second")
    rejected_data = issue_on_fake(fake_org, other_learner.email, template_id="second")
    rejected = make_badge(other_learner, second, credly_badge_id=rejected_data["id"], state_updated_at=None)
    _still_data, still = recorded_on_fake(fake_org, other_learner, template)
    fake_org.state.accept_badge(accepted_data["id"])
    fake_org.state.reject_badge(rejected_data["id"])

    output = run("credly_refresh_badges")

    assert "2 badge(s) changed, 1 still pending" in output
    for badge in (accepted, rejected, still):
        badge.refresh_from_db()
    assert accepted.state == IssuedBadge.STATE_ACCEPTED and accepted.accept_url == ""
    assert rejected.state == IssuedBadge.STATE_REJECTED
    assert still.state == IssuedBadge.STATE_PENDING and still.accept_url


def test_refresh_takes_the_least_recently_checked_first_and_respects_the_limit(learner, template, organization,
                                                                               fake_org):
    rows = []
    for number in range(5):
        other = BadgeTemplate.objects.create(organization=organization, template_id=f"t{number}", name=f"T{number}")
        fake_org.state.add_template(ORG_ID, f"T{number}", id=f"t{number}")
        data = issue_on_fake(fake_org, learner.email, template_id=f"t{number}")
        rows.append(make_badge(learner, other, credly_badge_id=data["id"], state_updated_at=None))
        fake_org.state.accept_badge(data["id"])
    IssuedBadge.objects.filter(pk=rows[3].pk).update(modified="2020-01-01T00:00:00Z")
    IssuedBadge.objects.filter(pk=rows[1].pk).update(modified="2020-01-02T00:00:00Z")

    run("credly_refresh_badges", "--limit", "2")

    states = {row.pk: IssuedBadge.objects.get(pk=row.pk).state for row in rows}
    assert [pk for pk, state in states.items() if state == "accepted"] == [rows[1].pk, rows[3].pk]
    assert badges_get_count(fake_org) == 2
    # The next run goes on with the others.
    run("credly_refresh_badges", "--limit", "3")
    assert set(IssuedBadge.objects.values_list("state", flat=True)) == {"accepted"}


def test_refresh_pages_through_many_badges(learner, organization, fake_org, monkeypatch):
    monkeypatch.setattr(refresh, "REFRESH_CHUNK", 3)
    for number in range(8):
        other = BadgeTemplate.objects.create(organization=organization, template_id=f"p{number}", name=f"P{number}")
        fake_org.state.add_template(ORG_ID, f"P{number}", id=f"p{number}")
        data = issue_on_fake(fake_org, learner.email, template_id=f"p{number}")
        make_badge(learner, other, credly_badge_id=data["id"], state_updated_at=None)
        fake_org.state.accept_badge(data["id"])
    assert "8 badge(s) changed" in run("credly_refresh_badges")
    assert badges_get_count(fake_org) == 8


def test_refresh_of_one_organization(learner, template, fake_org):
    _data, badge = recorded_on_fake(fake_org, learner, template)
    fake_org.state.accept_badge(_data["id"])
    with pytest.raises(CommandError):
        run("credly_refresh_badges", "--organization", "00000000-0000-0000-0000-000000000000")
    run("credly_refresh_badges", "--organization", ORG_ID)
    badge.refresh_from_db()
    assert badge.state == IssuedBadge.STATE_ACCEPTED


def test_refresh_hides_badges_credly_no_longer_has(learner, template, fake_org):
    data, badge = recorded_on_fake(fake_org, learner, template)
    fake_org.state.delete_badge(data["id"])
    assert "1 no longer on Credly" in run("credly_refresh_badges")
    badge.refresh_from_db()
    assert badge.state == IssuedBadge.STATE_REVOKED


def test_refresh_stops_for_an_organization_that_refuses_us(learner, other_learner, template, fake_org):
    recorded_on_fake(fake_org, learner, template)
    recorded_on_fake(fake_org, other_learner, template)
    fake_org.state.revoke_credentials(ORG_ID)
    output = run("credly_refresh_badges")
    assert "2 skipped" in output
    assert badges_get_count(fake_org) == 1  # one refusal is enough to stop asking


def test_refresh_skips_blocked_organizations(learner, template, organization, fake_org):
    recorded_on_fake(fake_org, learner, template)
    organization.is_active = False
    organization.save()
    assert "0 badge(s) changed, 0 still pending" in run("credly_refresh_badges")
    assert badges_get_count(fake_org) == 0


def test_stale_data_does_not_undo_a_newer_state(learner, template, fake_org):
    data, badge = recorded_on_fake(fake_org, learner, template)
    fake_org.state.accept_badge(data["id"])
    newer = fake_org.state.get_badge(ORG_ID, data["id"])
    assert credly_records.apply_credly_badge(badge, newer)
    assert not credly_records.apply_credly_badge(badge, {**data, "state_updated_at": "2020-01-01T00:00:00.000+00:00"})
    badge.refresh_from_db()
    assert badge.state == IssuedBadge.STATE_ACCEPTED


def test_periodic_task_is_scheduled_and_refreshes(learner, template, fake_org, settings):
    assert django_settings.CELERY_BEAT_SCHEDULE["openedx-credly-refresh-pending-badges"]["task"] == \
        "openedx_credly.tasks.refresh_pending_badges"
    data, badge = recorded_on_fake(fake_org, learner, template)
    fake_org.state.accept_badge(data["id"])
    settings.CREDLY_REFRESH_PENDING_LIMIT = 10
    assert tasks.refresh_pending_badges.apply().get()["changed"] == 1
    badge.refresh_from_db()
    assert badge.state == IssuedBadge.STATE_ACCEPTED


# ---------------------------------------------------------------- import


def test_import_records_known_learners_badges_of_our_templates(learner, other_learner, template, organization,
                                                               fake_org):
    mine = issue_on_fake(fake_org, learner.email)
    hers = issue_on_fake(fake_org, "GRACE@example.com")  # emails match whatever their case
    issue_on_fake(fake_org, "stranger@example.com")
    fake_org.state.add_template(ORG_ID, "Not synced here", id="elsewhere")
    issue_on_fake(fake_org, learner.email, template_id="elsewhere")
    fake_org.state.accept_badge(hers["id"])

    output = run("credly_import_badges")

    assert "2 imported" in output and "1 of unknown learners" in output and "1 of other templates" in output
    ada = IssuedBadge.objects.get(user=learner)
    assert (ada.credly_badge_id, ada.state, ada.course_id) == (mine["id"], "pending", None)
    assert ada.accept_url == mine["accept_badge_url"]
    assert ada.earned_at.isoformat().startswith("2025-06-01T10:00")
    assert IssuedBadge.objects.get(user=other_learner).state == IssuedBadge.STATE_ACCEPTED


def test_import_twice_never_duplicates(learner, template, fake_org):
    issue_on_fake(fake_org, learner.email)
    run("credly_import_badges")
    output = run("credly_import_badges")
    assert "0 imported" in output and "1 already known (updated)" in output
    assert IssuedBadge.objects.count() == 1


def test_import_gives_the_course_when_the_template_maps_to_exactly_one(learner, template, mapping, course_key,
                                                                       fake_org):
    issue_on_fake(fake_org, learner.email)
    run("credly_import_badges")
    assert IssuedBadge.objects.get().course_id == course_key


def test_import_adopts_our_queued_badge_instead_of_sending_it_again(learner, template, mapping, course_key,
                                                                    fake_org):
    queued = make_badge(learner, template, IssuedBadge.STATE_QUEUED, course_id=course_key)
    data = issue_on_fake(fake_org, learner.email)
    assert "1 matched to queued badges" in run("credly_import_badges")
    queued.refresh_from_db()
    assert (queued.state, queued.credly_badge_id) == ("pending", data["id"])
    assert IssuedBadge.objects.count() == 1


def test_import_of_one_user_asks_credly_by_email(learner, other_learner, template, fake_org):
    issue_on_fake(fake_org, learner.email)
    issue_on_fake(fake_org, other_learner.email)
    run("credly_import_badges", "--user", "ada", "--organization", ORG_ID)
    assert list(IssuedBadge.objects.values_list("user__username", flat=True)) == ["ada"]
    listing = [r for r in fake_org.state.recent_requests() if r["route"] == "badges_list"]
    assert listing
    assert all("recipient_email_all::ada@example.com" in r["query"]["filter"] for r in listing)


def test_import_uses_all_of_the_earners_credly_emails(learner, template, fake_org):
    fake_org.state.add_earner("ada.work@example.org", auto_accept=False, other_emails=[learner.email])
    data = issue_on_fake(fake_org, "ada.work@example.org")
    run("credly_import_badges", "--user", "ada")
    assert IssuedBadge.objects.get().credly_badge_id == data["id"]


def test_import_matches_our_earner_id_first(learner, template, fake_org):
    changed_email = make_learner(username="ada2", email="old-address@example.com")
    data = issue_on_fake(fake_org, "old-address@example.com", earner_id=f"openedx-user-{learner.pk}")
    run("credly_import_badges")
    assert IssuedBadge.objects.get(credly_badge_id=data["id"]).user == learner
    assert not IssuedBadge.objects.filter(user=changed_email).exists()


def test_import_command_errors(learner, fake_org):
    with pytest.raises(CommandError):
        run("credly_import_badges", "--user", "nobody")
    with pytest.raises(CommandError):
        run("credly_import_badges", "--organization", "00000000-0000-0000-0000-000000000000")


def test_import_reports_an_unreachable_organization(learner, template, fake_org):
    fake_org.state.revoke_credentials(ORG_ID)
    with pytest.raises(CommandError, match="could not be read"):
        run("credly_import_badges")


def test_first_view_import_task(client, learner, template, fake_org, django_capture_on_commit_callbacks):
    data = issue_on_fake(fake_org, learner.email)
    client.force_login(learner)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.get("/api/credly/v1/badges/").json()
    # The view answered before the import ran; the next view shows the imported badge.
    assert first["count"] == 0
    second = client.get("/api/credly/v1/badges/").json()
    assert [item["id"] for item in second["results"]] == [data["id"]]


def test_badges_of_other_organizations_are_never_imported(learner, template, fake_org):
    other = fake_org.state.add_organization("Another University")
    theirs = fake_org.state.add_template(other["id"], "Their badge", id="theirs")
    issue_on_fake(fake_org, learner.email, template_id=theirs["id"], org_id=other["id"])
    assert tasks.import_badges_for_user.apply(args=[learner.pk]).get() == {}
    assert not IssuedBadge.objects.exists()


def test_a_template_mapped_to_two_courses_imports_without_a_course(learner, template, course_key, fake_org):
    CourseBadgeTemplate.objects.create(course_id=course_key, template=template)
    CourseBadgeTemplate.objects.create(course_id=CourseKey.from_string("course-v1:Org+Other+2026"), template=template)
    issue_on_fake(fake_org, learner.email)
    run("credly_import_badges")
    assert IssuedBadge.objects.get().course_id is None


# ---------------------------------------------------------------- import and our rows (issue 19, findings 3 and 5)


def live_badges_of(fake, user, template_id=TEMPLATE_ID):
    """The learner's badges of a template that are live on the fake Credly."""
    return [badge for badge in fake.state.all_badges()
            if badge["badge_template"]["id"] == template_id and badge["recipient_email"] == user.email
            and badge["state"] in IssuedBadge.VISIBLE_STATES]


def allow_duplicates(fake, template, allowed):
    template.allow_duplicate_badges = allowed
    template.save(update_fields=["allow_duplicate_badges"])
    fake.state.update_template(template.template_id, allow_duplicate_badges=allowed)


@pytest.mark.parametrize("duplicates_allowed", [True, False])
def test_import_finds_the_row_of_another_run_and_retry_sends_no_second_badge(
        learner, template, course_key, fake_org, duplicates_allowed):
    """
    Finding 3: a template mapped to two runs; our row for one run failed after a POST whose
    answer was lost, while Credly made the badge. The import must record that badge on the
    row, not on a second row, so that the operator's Retry has nothing left to send.
    """
    allow_duplicates(fake_org, template, duplicates_allowed)
    other_run = CourseKey.from_string("course-v1:Org+Other+2026")
    CourseBadgeTemplate.objects.create(course_id=course_key, template=template)
    CourseBadgeTemplate.objects.create(course_id=other_run, template=template)
    failed = make_badge(learner, template, IssuedBadge.STATE_FAILED, course_id=other_run,
                        outcome_unclear=True, attempts=8)
    lost = issue_on_fake(fake_org, learner.email, earner_id=f"openedx-user-{learner.pk}",
                         issued_at=delivery.format_issued_at(failed.earned_at))

    assert "1 matched to queued badges" in run("credly_import_badges")
    retried, _busy = issuance.retry([failed.pk])
    for badge_id in retried:
        delivery.deliver(badge_id)

    assert IssuedBadge.objects.filter(user=learner, template=template).count() == 1
    failed.refresh_from_db()
    assert (failed.state, failed.credly_badge_id) == (IssuedBadge.STATE_PENDING, lost["id"])
    assert [badge["id"] for badge in live_badges_of(fake_org, learner)] == [lost["id"]]


def test_import_never_adopts_an_older_badge_of_a_template_that_allows_duplicates(
        learner, template, mapping, course_key, fake_org):
    """
    Finding 5: last year's badge of a yearly template is not this year's achievement: the
    queued row keeps waiting for its own badge, and sending it makes one.
    """
    allow_duplicates(fake_org, template, True)
    queued = make_badge(learner, template, IssuedBadge.STATE_QUEUED, course_id=course_key)
    last_year = issue_on_fake(fake_org, learner.email, earner_id=f"openedx-user-{learner.pk}",
                              issued_at="2024-06-01 10:00:00 +0000")

    output = run("credly_import_badges")

    assert "0 imported, 0 matched to queued badges" in output
    queued.refresh_from_db()
    assert (queued.state, queued.credly_badge_id) == (IssuedBadge.STATE_QUEUED, "")
    assert delivery.deliver(queued.pk).outcome == "issued"
    queued.refresh_from_db()
    assert queued.credly_badge_id not in ("", last_year["id"])
    assert len(live_badges_of(fake_org, learner)) == 2


def test_import_adopts_only_the_badge_issued_at_the_achievements_moment(learner, template, mapping, course_key,
                                                                        fake_org):
    """A duplicate-allowing template: of two badges on Credly, the one issued when the learner earned it is ours."""
    allow_duplicates(fake_org, template, True)
    queued = make_badge(learner, template, IssuedBadge.STATE_QUEUED, course_id=course_key,
                        outcome_unclear=True, attempts=1)
    issue_on_fake(fake_org, learner.email, earner_id=f"openedx-user-{learner.pk}",
                  issued_at="2024-06-01 10:00:00 +0000")
    ours = issue_on_fake(fake_org, learner.email, earner_id=f"openedx-user-{learner.pk}",
                         issued_at=delivery.format_issued_at(queued.earned_at))

    assert "1 matched to queued badges" in run("credly_import_badges")
    queued.refresh_from_db()
    assert (queued.state, queued.credly_badge_id) == (IssuedBadge.STATE_PENDING, ours["id"])
    assert IssuedBadge.objects.count() == 1


def test_import_by_email_alone_never_adopts_for_a_template_that_allows_duplicates(
        learner, template, mapping, course_key, fake_org):
    """Same moment, but no earner id of ours: another tool issued it, not our lost POST."""
    allow_duplicates(fake_org, template, True)
    queued = make_badge(learner, template, IssuedBadge.STATE_QUEUED, course_id=course_key)
    issue_on_fake(fake_org, learner.email, issued_at=delivery.format_issued_at(queued.earned_at))
    run("credly_import_badges")
    queued.refresh_from_db()
    assert (queued.state, queued.credly_badge_id) == (IssuedBadge.STATE_QUEUED, "")


def test_import_of_a_template_without_duplicates_still_adopts_by_template_and_learner(learner, template, mapping,
                                                                                      course_key, fake_org):
    """Credly holds at most one live badge of such a template per learner: it is this achievement's."""
    queued = make_badge(learner, template, IssuedBadge.STATE_QUEUED, course_id=course_key)
    data = issue_on_fake(fake_org, learner.email, issued_at="2024-06-01 10:00:00 +0000")
    assert "1 matched to queued badges" in run("credly_import_badges")
    queued.refresh_from_db()
    assert queued.credly_badge_id == data["id"]
