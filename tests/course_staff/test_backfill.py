"""Backfill: past earners get their badge through the queue, once each, with progress and a summary."""
import inspect
from datetime import datetime, timedelta, timezone
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from devhost.standin import models as standin
from openedx_credly.awarding import backfill
from openedx_credly.models import BadgeTemplate, CourseBadgeTemplate, CredlyOrganization, IssuedBadge
from openedx_credly.platform import get_platform

EARNED = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
LEARNERS = 300


@pytest.fixture
def credly_course(use_fake_credly, course_key, db):
    """An organization and template on the fake Credly, the same rows here, and the course mapped to it."""
    state = use_fake_credly.state
    org = state.add_organization("Backfill Academy", token="backfill-token-0123456789")
    remote = state.add_template(org["id"], "Course Finisher")
    organization = CredlyOrganization.objects.create(name="Backfill Academy", organization_id=org["id"],
                                                     api_token=org["token"])
    template = BadgeTemplate.objects.create(organization=organization, template_id=remote["id"],
                                            name="Course Finisher")
    mapping = CourseBadgeTemplate.objects.create(course_id=course_key, template=template)
    standin.Course.objects.create(course_id=course_key, display_name="Credly 101")
    return mapping


def make_earners(course_key, count, start=0, earned=EARNED, **user_fields):
    """``count`` learners with a downloadable certificate of the course, in two bulk inserts."""
    user_model = get_user_model()
    users = user_model.objects.bulk_create([
        user_model(username=f"earner{index}", email=f"earner{index}@example.com", first_name="Earner",
                   last_name=str(index), **user_fields)
        for index in range(start, start + count)
    ])
    if not users[0].pk:  # backends that do not return ids from bulk inserts
        users = list(user_model.objects.filter(username__in=[user.username for user in users]))
    standin.Certificate.objects.bulk_create([
        standin.Certificate(user_id=user.pk, course_id=course_key, created_date=earned + timedelta(minutes=index))
        for index, user in enumerate(users)
    ])
    return users


def fake_badges(fake):
    return fake.state.all_badges()


def test_backfill_badges_every_past_earner_once(credly_course, course_key, use_fake_credly, capsys,
                                                django_capture_on_commit_callbacks):
    make_earners(course_key, LEARNERS)

    with django_capture_on_commit_callbacks(execute=True):
        call_command("credly_backfill", "--course", str(course_key), "--progress-every", "100")
    first = capsys.readouterr().out

    badges = fake_badges(use_fake_credly)
    assert len(badges) == LEARNERS
    assert len({badge["recipient_email"] for badge in badges}) == LEARNERS
    assert IssuedBadge.objects.filter(state=IssuedBadge.STATE_PENDING).count() == LEARNERS
    assert first.count("... ") == 3  # progress at 100, 200, 300
    assert f"Badges queued: {LEARNERS}" in first and "Already had one: 0" in first
    # issued_at is when the learner earned the certificate, not now.
    earliest = min(badge["issued_at"] for badge in badges)
    assert earliest.startswith("2025-06-01")

    with django_capture_on_commit_callbacks(execute=True):
        call_command("credly_backfill", "--course", str(course_key))
    second = capsys.readouterr().out

    assert len(fake_badges(use_fake_credly)) == LEARNERS
    assert IssuedBadge.objects.count() == LEARNERS
    assert "Badges queued: 0" in second and f"Already had one: {LEARNERS}" in second


def test_dry_run_changes_nothing(credly_course, course_key, use_fake_credly, capsys,
                                 django_capture_on_commit_callbacks):
    make_earners(course_key, 5)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        call_command("credly_backfill", "--course", str(course_key), "--dry-run")

    out = capsys.readouterr().out
    assert "Badges would be queued: 5" in out and "Dry run" in out
    assert not IssuedBadge.objects.exists() and not callbacks
    assert fake_badges(use_fake_credly) == []


def test_since_leaves_out_earlier_earners(credly_course, course_key, django_capture_on_commit_callbacks, capsys):
    make_earners(course_key, 3, earned=datetime(2024, 1, 1, tzinfo=timezone.utc))
    make_earners(course_key, 4, start=100, earned=datetime(2025, 1, 1, tzinfo=timezone.utc))

    with django_capture_on_commit_callbacks(execute=True):
        call_command("credly_backfill", "--course", str(course_key), "--since", "2024-12-31")

    assert IssuedBadge.objects.count() == 4
    assert "4 learner(s) had earned the course" in capsys.readouterr().out


def test_skipped_learners_are_counted_with_their_reason(credly_course, course_key, capsys,
                                                        django_capture_on_commit_callbacks):
    make_earners(course_key, 2)
    make_earners(course_key, 3, start=10, is_active=False)
    no_email = make_earners(course_key, 1, start=20)[0]
    get_user_model().objects.filter(pk=no_email.pk).update(email="")
    # The platform may list a certificate whose account is gone.
    real = get_platform().iter_course_earners

    def earners_with_a_removed_account(course, trigger, since=None):
        yield from real(course, trigger, since)
        yield (987654, EARNED)

    with mock.patch.object(get_platform(), "iter_course_earners", side_effect=earners_with_a_removed_account):
        with django_capture_on_commit_callbacks(execute=True):
            result = backfill.backfill(course_key)

    assert result.queued == 2
    assert dict(result.skipped) == {"inactive": 3, "no_email": 1, "no_account": 1}
    assert IssuedBadge.objects.count() == 2
    lines = "\n".join(result.summary_lines())
    assert "3 because the account is inactive" in lines and "no email address" in lines


def test_backfill_streams_in_chunks(credly_course, course_key):
    """The earners are consumed one chunk at a time: never more than a chunk ahead of the work."""
    state = {"yielded": 0, "ahead": []}

    def earners(course, trigger, since=None):
        for index in range(2500):
            state["yielded"] += 1
            yield (10_000_000 + index, EARNED)  # no such accounts: each is skipped, nothing is written

    real_chunk = backfill._backfill_chunk  # pylint: disable=protected-access

    def chunk_spy(*args, **kwargs):
        result = inspect.signature(real_chunk).bind(*args, **kwargs).arguments["result"]
        state["ahead"].append(state["yielded"] - result.learners)
        return real_chunk(*args, **kwargs)

    with mock.patch.object(get_platform(), "iter_course_earners", side_effect=earners), \
            mock.patch.object(backfill, "_backfill_chunk", side_effect=chunk_spy):
        result = backfill.backfill(course_key, chunk_size=200, dry_run=True)

    assert result.learners == 2500 and result.skipped["no_account"] == 2500
    assert max(state["ahead"]) <= 200
    assert len(state["ahead"]) == 13


def test_queries_per_chunk_do_not_grow_with_the_chunk(credly_course, course_key, django_assert_max_num_queries):
    make_earners(course_key, 120, is_active=False)  # skipped: only the per-chunk look-ups run

    with django_assert_max_num_queries(12):
        result = backfill.backfill(course_key, chunk_size=120)

    assert result.skipped["inactive"] == 120


def test_passing_mapping_uses_grades(credly_course, course_key, django_capture_on_commit_callbacks):
    credly_course.trigger = CourseBadgeTemplate.TRIGGER_PASSING
    credly_course.save()
    user = make_earners(course_key, 1)[0]  # a certificate, but the mapping awards passing
    standin.CourseGrade.objects.create(user=user, course_id=course_key, passed_timestamp=EARNED)
    make_earners(course_key, 2, start=50)

    with django_capture_on_commit_callbacks(execute=True):
        result = backfill.backfill(course_key, trigger="passing")

    assert result.learners == 1 and result.queued == 1
    assert IssuedBadge.objects.get().user == user


def test_command_refuses_a_course_without_a_badge(db, course_key):
    with pytest.raises(CommandError, match="awards no Credly badge"):
        call_command("credly_backfill", "--course", str(course_key))
    with pytest.raises(CommandError, match="not a course id"):
        call_command("credly_backfill", "--course", "nonsense")


def test_command_refuses_a_bad_date(credly_course, course_key):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("credly_backfill", "--course", str(course_key), "--since", "01/02/2025")


def test_admin_action_backfills_and_reports(credly_course, course_key, use_fake_credly, client, django_user_model, *,
                                            django_capture_on_commit_callbacks):
    make_earners(course_key, 12)
    make_earners(course_key, 1, start=99, is_active=False)
    admin = django_user_model.objects.create_superuser("operator", "op@example.com", "pw")
    client.force_login(admin)
    url = reverse("admin:openedx_credly_coursebadgetemplate_changelist")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "backfill_action", "_selected_action": [credly_course.pk]},
                               follow=True)

    assert response.status_code == 200
    messages = [str(message) for message in response.context["messages"]]
    # The request only enqueued the backfill (run eagerly here, by a worker in production).
    assert any("the backfill runs in the background" in message for message in messages), messages
    assert len(fake_badges(use_fake_credly)) == 12
    assert IssuedBadge.objects.filter(course_id=course_key).count() == 12

    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(url, {"action": "backfill_action", "_selected_action": [credly_course.pk]}, follow=True)

    assert again.status_code == 200
    assert len(fake_badges(use_fake_credly)) == 12


def test_admin_backfill_with_the_broker_down_says_so(credly_course, course_key, client, django_user_model,
                                                     monkeypatch):
    from openedx_credly import tasks  # pylint: disable=import-outside-toplevel

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.backfill_mapping, "apply_async", broker_down)
    make_earners(course_key, 2)
    client.force_login(django_user_model.objects.create_superuser("operator", "op@example.com", "pw"))
    response = client.post(reverse("admin:openedx_credly_coursebadgetemplate_changelist"),
                           {"action": "backfill_action", "_selected_action": [credly_course.pk]}, follow=True)
    assert response.status_code == 200
    assert any("task queue could not be reached" in str(message) for message in response.context["messages"])
    assert not IssuedBadge.objects.exists()
