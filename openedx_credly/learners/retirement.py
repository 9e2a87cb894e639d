"""
Retiring a learner: what the plugin holds about a person, scrubbed when they retire their account.

The LMS sends ``USER_RETIRE_LMS_MISC`` (``user=`` among its arguments) while it retires
an account; ``platform.get_retirement_signal()`` finds it (or a stand-in outside the
platform) and ``apps.py`` connects ``on_user_retired`` to it. ``manage.py
credly_retire_user`` does the same for one user, for sites that retire by script.

For that learner, ``retire_user``:

* blanks the email address and name of every ``IssuedBadge`` (what was sent to Credly),
  and scrubs them from the last errors of its issuances;
* keeps the Credly badge ids: the badge belongs to the person on Credly, and the id
  keeps the plugin from ever sending it again;
* stops every badge still queued (``issuance.stop_unsent``): it fails, "learner retired", so
  no worker and no sweeper sends it (an attempt already in a worker's hands finishes, and its
  answer is recorded);
* scrubs the learner's email addresses, names and username from the error-log entries
  about her (the entries stay, with ``[retired learner]`` in their place); they are found
  through the entries' ``learner`` link (an index), so retiring one learner reads her
  entries only, whatever the size of the log;
* forgets the cache mark of the first-view import.

Webhook events and learning-path progress hold no personal data (ids and times only).
"""
import logging
import re

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from openedx_credly.issuing import issuance
from openedx_credly.learners.panel import IMPORT_MARK_KEY
from openedx_credly.models import BadgeIssuance, CredlyErrorLog, IssuedBadge
from openedx_credly.platform import get_platform

log = logging.getLogger(__name__)

PLACEHOLDER = "[retired learner]"
# Written as the last error of badges that were waiting to be sent (not translated: an operator's record).
# Names shorter than this are not scrubbed from error-log text: "Al" would scrub half of every entry.
MIN_NAME_LENGTH = 4


def personal_terms(user, extra=()):
    """The learner's email addresses, names and username as the plugin may have written them, longest first."""
    username = user.get_username().strip()
    terms = {user.email, user.get_full_name(), get_platform().get_full_name(user), username, *extra}
    for email, name in IssuedBadge.objects.filter(user=user).values_list("recipient_email", "recipient_name"):
        terms.update((email, name))
    terms = {term.strip() for term in terms if term and term.strip()}
    kept = {term for term in terms if "@" in term or len(term) >= MIN_NAME_LENGTH or term == username}
    return sorted(kept, key=len, reverse=True)


def scrub(text, terms):
    """``text`` with each of ``terms`` (case-insensitive) replaced by the placeholder."""
    for term in terms:
        text = re.sub(re.escape(term), PLACEHOLDER, text, flags=re.IGNORECASE)
    return text


@transaction.atomic
def retire_user(user, extra_terms=()):
    """
    Scrub ``user``'s personal data from every plugin table (see the module docstring).

    ``extra_terms`` are more strings to scrub from the error log (e.g. an email address the
    account had before the platform retired it): they are searched for in every entry, so
    retiring with them reads the whole log. Returns counts of what changed.
    """
    terms = personal_terms(user, extra_terms)
    now = timezone.now()
    badges = IssuedBadge.objects.filter(user=user)
    stopped = issuance.stop_unsent(
        list(badges.filter(state=IssuedBadge.STATE_QUEUED).values_list("pk", flat=True)), issuance.RETIRED_REASON)
    attempts = BadgeIssuance.objects.filter(badge__user=user).exclude(last_error="")
    for pk, last_error in attempts.values_list("pk", "last_error"):
        cleaned = scrub(last_error, terms)
        if cleaned != last_error:
            BadgeIssuance.objects.filter(pk=pk).update(last_error=cleaned)
    blanked = badges.exclude(recipient_email="", recipient_name="").update(recipient_email="", recipient_name="",
                                                                           modified=now)

    # Her entries through their index, unsorted: never a search of the whole log's text. Only
    # terms the operator adds by hand (credly_retire_user --also-scrub) are searched for in every entry.
    mentions = Q(learner_id=user.pk)
    for term in extra_terms:
        mentions |= Q(error__icontains=term) | Q(details__icontains=term)
    scrubbed = 0
    for entry in CredlyErrorLog.objects.filter(mentions).order_by().only("pk", "error", "details"):
        error, details = scrub(entry.error, terms), scrub(entry.details, terms)
        if (error, details) != (entry.error, entry.details):
            CredlyErrorLog.objects.filter(pk=entry.pk).update(error=error[:255], details=details)
            scrubbed += 1
    cache.delete(IMPORT_MARK_KEY.format(user_id=user.pk))
    result = {"badges_blanked": blanked, "queued_badges_stopped": stopped, "error_log_entries_scrubbed": scrubbed}
    log.info("Retired the Credly data of user %s: %s", user.pk, result)
    return result


def on_user_retired(user=None, **kwargs):
    """
    Receiver of the LMS's ``USER_RETIRE_LMS_MISC``.

    Unlike the learning-event receivers, it lets an error propagate: the LMS then reports
    the retirement step as failed and its retirement pipeline tries again, rather than
    believing personal data was erased when it was not. It only writes to the database.
    """
    if user is None:
        log.warning("USER_RETIRE_LMS_MISC arrived without a user; nothing to retire.")
        return None
    return retire_user(user)
