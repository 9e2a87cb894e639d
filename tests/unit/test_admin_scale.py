"""
The changelists of the big tables cost what their page costs (issue 22): the shape of their
queries, checked here on a few rows; MariaDB's plans are checked in tests/reliability/test_indexes.py.
"""
from datetime import datetime, timedelta, timezone

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openedx_credly.models import BadgeTemplate, CredlyErrorLog, CredlyOrganization, IssuedBadge, WebhookEvent
from openedx_credly.operators import admin_lists
from openedx_credly.operators.admin import CredlyErrorLogAdmin, IssuedBadgeAdmin, WebhookEventAdmin
from tests.conftest import make_learner

BIG_TABLES = {
    "issuedbadge": IssuedBadge._meta.db_table,
    "credlyerrorlog": CredlyErrorLog._meta.db_table,
    "webhookevent": WebhookEvent._meta.db_table,
}


@pytest.fixture
def rows(learner, template, organization):
    """Five badges of two learners, five error entries, five webhook events."""
    other = make_learner(username="grace", email="grace@example.com")
    now = datetime.now(timezone.utc)
    for n in range(5):
        IssuedBadge.objects.create(
            user=learner if n % 2 else other, template=template, course_id=f"course-v1:Org+C{n}+1", state="pending",
            credly_badge_id=f"b-{n}", recipient_email=f"r{n}@example.com", earned_at=now - timedelta(days=40 * n))
        CredlyErrorLog.objects.create(organization=organization, kind="webhook", error=f"e{n}",
                                      learner=learner if n % 2 else None)
        WebhookEvent.objects.create(organization=organization, event_id=f"event-{n}",
                                    event_type=("badge.created", "badge.deleted")[n % 2])
    return learner


def _page(admin_client, model, params=None):
    """The changelist's HTML and the SELECTs it made on ``model``'s table."""
    table = BIG_TABLES[model]
    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get(reverse(f"admin:openedx_credly_{model}_changelist"), params or {})
    assert response.status_code == 200
    selects = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT") and table in q["sql"]]
    return response.content.decode(), selects


@pytest.mark.parametrize("model", sorted(BIG_TABLES))
def test_the_page_reads_the_big_table_without_joining_it(admin_client, rows, model):
    page, selects = _page(admin_client, model)
    assert selects
    big = BIG_TABLES[model]
    reads_of_big_table = [sql for sql in selects if f'FROM "{big}"' in sql]
    assert reads_of_big_table, selects
    for sql in reads_of_big_table:
        assert "JOIN" not in sql, sql
    counts = [sql for sql in reads_of_big_table if "COUNT(" in sql]
    assert len(counts) == 1 and "LIMIT 10001" in counts[0], counts  # capped, and counted once
    assert "5 " in page


@pytest.mark.parametrize("admin_class", [IssuedBadgeAdmin, CredlyErrorLogAdmin, WebhookEventAdmin])
def test_big_changelists_do_not_count_the_whole_table(admin_class):
    assert admin_class.show_full_result_count is False
    assert admin_class.date_hierarchy is None
    assert admin_class.list_select_related == ()
    assert admin_class.paginator is admin_lists.CappedCountPaginator


def test_a_count_beyond_the_cap_is_shown_as_the_cap_plus(admin_client, rows, monkeypatch):
    monkeypatch.setattr(admin_lists, "COUNT_CAP", 3)
    page, _selects = _page(admin_client, "issuedbadge")
    assert "3+ issued badges" in page
    assert "Select all 3+ issued badges" in page and "All 3+ selected" in page  # the action bar says so too
    page, _selects = _page(admin_client, "issuedbadge", {"q": "b-1"})
    assert "1 issued badge" in page


def test_the_organization_filter_is_the_ids_of_its_templates(admin_client, rows, template, organization):
    other_org = CredlyOrganization.objects.create(name="Other", organization_id="org-2", api_token="t")
    other_template = BadgeTemplate.objects.create(organization=other_org, template_id="t-other", name="Other")
    IssuedBadge.objects.create(user=rows, template=other_template, course_id="course-v1:Org+X+1", state="pending",
                               earned_at=datetime.now(timezone.utc))
    page, selects = _page(admin_client, "issuedbadge", {"organization": str(other_org.pk)})
    assert "1 issued badge" in page
    page_query = [sql for sql in selects if "LIMIT 10001" not in sql and "ORDER BY" in sql][0]
    assert "JOIN" not in page_query and f'"template_id" IN ({other_template.pk})' in page_query


def test_the_date_filter_runs_no_query_of_its_own(admin_client, rows):
    page, selects = _page(admin_client, "issuedbadge", {"earned": "month"})
    assert "1 issued badge" in page  # earned today; the others 40 days apart
    assert not any("MIN(" in sql or "MAX(" in sql or "DISTINCT" in sql for sql in selects), selects


def test_the_event_type_filter_has_fixed_choices(admin_client, rows):
    page, selects = _page(admin_client, "webhookevent", {"event_type": "badge.deleted"})
    assert "2 webhook events" in page and "badge.state.changed" in page  # a choice no event has yet
    assert not any("DISTINCT" in sql for sql in selects), selects


@pytest.mark.parametrize("term,found", [
    ("ada", 2), ("r3@example.com", 1), ("b-4", 1), ("course-v1:Org+C2+1", 1),
    ("ad", 0), ("r3@example", 0), ("course-v1:Org+C", 0), ("not a key", 0),
])
def test_issued_badges_are_searched_by_exact_values_without_like(admin_client, rows, term, found):
    page, selects = _page(admin_client, "issuedbadge", {"q": term})
    assert f"{found} issued badge" in page
    assert not any("LIKE" in sql for sql in selects), selects


def test_the_error_log_is_searched_by_the_learners_username(admin_client, rows):
    page, selects = _page(admin_client, "credlyerrorlog", {"q": "ada"})
    assert "2 Credly errors" in page
    assert not any("LIKE" in sql for sql in selects), selects


def test_webhook_events_are_searched_by_exact_event_id(admin_client, rows):
    page, _selects = _page(admin_client, "webhookevent", {"q": "event-3"})
    assert "1 webhook event" in page
    page, _selects = _page(admin_client, "webhookevent", {"q": "event"})
    assert "0 webhook events" in page


@pytest.mark.parametrize("model,columns", [
    (IssuedBadge, ["state", "template_id"]),
    (IssuedBadge, ["recipient_email"]),
    (IssuedBadge, ["state", "modified"]),
    (WebhookEvent, ["event_id"]),
    (CredlyErrorLog, ["learner_id"]),
    (CredlyErrorLog, ["created"]),
])
def test_the_indexes_the_big_queries_need_exist(db, model, columns):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    indexed = [c["columns"] for c in constraints.values() if c["index"] or c["unique"] or c["primary_key"]]
    assert columns in indexed, indexed
