"""A learner who retires their account: the plugin keeps nothing personal about them."""
import io

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openedx_credly import platform, tasks
from openedx_credly.issuing import issuance
from openedx_credly.learners import retirement
from openedx_credly.learners.panel import IMPORT_MARK_KEY
from openedx_credly.models import CredlyErrorLog, IssuedBadge
from tests.conftest import make_badge, make_learner, send_certificate


@pytest.fixture
def retiring(learner, template, organization):
    """Ada's badges (one on Credly, one queued, one that failed) and error-log entries naming her."""
    other = make_learner(username="grace", email="grace@example.com", first_name="Grace", last_name="Hopper")
    sent = make_badge(learner, template, "course-v1:Org+Sent+1", recipient_email="ada@example.com",
                      recipient_name="Ada Lovelace", state="accepted", credly_badge_id="b-ada")
    # Queued and never tried: no issuance yet, as the receiver leaves it.
    queued = IssuedBadge.objects.create(
        user=learner, template=template, course_id="course-v1:Org+Queued+1", recipient_email="ADA@example.com",
        recipient_name="Ada Lovelace", state="queued", earned_at="2026-11-25T14:03:00Z")
    failed = make_badge(learner, template, "course-v1:Org+Failed+1", recipient_email="ada.old@example.com",
                        recipient_name="Ada King", state="failed",
                        issuance={"last_error": "Credly refused ada.old@example.com: invalid"})
    theirs = make_badge(other, template, "course-v1:Org+Sent+1", recipient_email="grace@example.com",
                        recipient_name="Grace Hopper", state="queued")
    CredlyErrorLog.objects.create(organization=organization, kind="issuance_failed", error="Badge failed",
                                  details="The badge of Ada Lovelace (ada@example.com) failed.", badge=queued,
                                  learner=learner)
    CredlyErrorLog.objects.create(organization=organization, kind="learner_data", error="ada.old@example.com",
                                  details="No name for ADA.OLD@EXAMPLE.COM; Ada King was used.", learner=learner)
    CredlyErrorLog.objects.create(organization=organization, kind="learner_data", error="Grace's",
                                  details="grace@example.com (Grace Hopper) has no name.")
    cache.set(IMPORT_MARK_KEY.format(user_id=learner.pk), True)
    return learner, sent, queued, failed, theirs


def assert_retired(learner, sent, queued, failed, theirs):
    for badge in (sent, queued, failed):
        badge.refresh_from_db()
        assert (badge.recipient_email, badge.recipient_name) == ("", "")
    assert sent.credly_badge_id == "b-ada" and sent.state == "accepted"  # the badge is the person's, on Credly
    assert queued.state == IssuedBadge.STATE_FAILED and queued.last_error == issuance.RETIRED_REASON
    assert failed.last_error == "Credly refused [retired learner]: invalid"
    texts = " ".join(f"{entry.error} {entry.details}" for entry in CredlyErrorLog.objects.all()).lower()
    for term in ("ada@example.com", "ada.old@example.com", "ada lovelace", "ada king"):
        assert term not in texts
    assert "grace@example.com (grace hopper)" in texts  # another learner's entries are untouched
    theirs.refresh_from_db()
    assert (theirs.state, theirs.recipient_email) == ("queued", "grace@example.com")
    assert cache.get(IMPORT_MARK_KEY.format(user_id=learner.pk)) is None


def test_the_platforms_retirement_signal_scrubs_the_learner(retiring, django_capture_on_commit_callbacks):
    signal = platform.get_retirement_signal()
    assert signal is platform.USER_RETIRE_LMS_MISC  # the stand-in, outside the platform
    learner = retiring[0]
    results = signal.send(sender=None, user=learner, retired_username="retired_user_1", retired_email="x@retired")
    assert results[0][1] == {"badges_blanked": 3, "queued_badges_stopped": 1, "error_log_entries_scrubbed": 2}
    assert_retired(*retiring)


def test_the_command_retires_one_user(retiring):
    out = io.StringIO()
    call_command("credly_retire_user", "--username", "ada", stdout=out)
    assert "3 badge(s) blanked, 1 queued badge(s) stopped, 2 error-log" in out.getvalue()
    assert_retired(*retiring)


def test_the_command_scrubs_an_email_the_account_no_longer_has(retiring, organization):
    learner = retiring[0]
    CredlyErrorLog.objects.create(organization=organization, kind="webhook", error="x",
                                  details="before@example.com bounced")
    call_command("credly_retire_user", "--user-id", str(learner.pk), "--also-scrub", "before@example.com",
                 stdout=io.StringIO())
    assert not CredlyErrorLog.objects.filter(details__icontains="before@example.com").exists()


def test_the_command_refuses_an_unknown_user(db):
    with pytest.raises(CommandError):
        call_command("credly_retire_user", "--username", "nobody", stdout=io.StringIO())


def test_retiring_twice_changes_nothing_more(retiring):
    retirement.retire_user(retiring[0])
    assert retirement.retire_user(retiring[0]) == {
        "badges_blanked": 0, "queued_badges_stopped": 0, "error_log_entries_scrubbed": 0}


def test_a_retired_learners_queued_badge_is_not_sent(retiring, credly_api, django_capture_on_commit_callbacks):
    learner, _sent, queued, _failed, _theirs = retiring
    retirement.retire_user(learner)
    tasks.issue_badge.apply(args=[queued.pk])
    assert not credly_api.calls
    queued.refresh_from_db()
    assert queued.state == IssuedBadge.STATE_FAILED
    assert queued.pk not in issuance.due_badge_ids()


def test_an_attempt_a_worker_holds_finishes_and_its_answer_is_kept(learner, template):
    badge = make_badge(learner, template, "course-v1:Org+Busy+1", state="queued")
    token = issuance.claim(badge.current_issuance_id)
    assert token
    retirement.retire_user(learner)
    badge.refresh_from_db()
    assert badge.state == IssuedBadge.STATE_QUEUED  # not taken from under the worker
    assert issuance.record_issued(badge.current_issuance_id, {"credly_badge_id": "b-late", "state": "pending"})
    badge.refresh_from_db()
    assert (badge.state, badge.credly_badge_id) == ("pending", "b-late")


def test_the_name_the_platform_knows_is_scrubbed_too(learner, organization):
    from devhost.standin.models import Profile  # pylint: disable=import-outside-toplevel

    Profile.objects.create(user=learner, name="Augusta Ada King")
    CredlyErrorLog.objects.create(organization=organization, kind="learner_data", error="x",
                                  details="Augusta Ada King has no email address.", learner=learner)
    retirement.retire_user(learner)
    assert CredlyErrorLog.objects.get().details == "[retired learner] has no email address."


def test_retirement_scrubs_learner_data_entries_issue19_finding9(mapping, course_key, db):
    """
    A "learner data incomplete" entry names the learner by username and carries no badge: it
    is linked to her account, and her retirement scrubs it (issue 19, finding 9).
    """
    learner = make_learner(username="noemail_learner", email="", first_name="", last_name="")
    send_certificate(learner, course_key, email="")
    entry = CredlyErrorLog.objects.get(kind=CredlyErrorLog.KIND_LEARNER_DATA)
    assert entry.badge_id is None and "noemail_learner" in entry.details
    assert entry.learner_id == learner.pk

    assert retirement.retire_user(learner)["error_log_entries_scrubbed"] == 1
    entry.refresh_from_db()
    assert "noemail_learner" not in entry.details and retirement.PLACEHOLDER in entry.details


def test_retirement_finds_her_entries_by_their_index_not_by_text(retiring):
    """Her entries are read through the ``learner`` link: no LIKE over the whole error log."""
    with CaptureQueriesContext(connection) as captured:
        assert retirement.retire_user(retiring[0])["error_log_entries_scrubbed"] == 2
    reads = [query["sql"] for query in captured.captured_queries
             if query["sql"].startswith("SELECT") and CredlyErrorLog._meta.db_table in query["sql"]]
    assert reads and all("LIKE" not in sql and "learner_id" in sql for sql in reads), reads
