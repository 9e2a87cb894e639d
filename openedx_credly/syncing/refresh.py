"""
Bringing Credly's view of our learners' badges home.

* Each of them ends in ``issuing.credly_records.apply_credly_badge``, which updates one
  ``IssuedBadge`` from a Credly badge object (the webhook processing does too).
* ``refresh_pending`` re-reads badges still pending on our side (the periodic task and
  ``manage.py credly_refresh_badges``), for installs whose webhook is not registered.
* ``import_credly_badge`` records a Credly badge that we do not know yet, when its
  template is one of ours and its recipient is one of our learners;
  ``import_for_organization`` and ``import_for_user`` list an organization's badges
  (by recipient email for one learner) and import them (``manage.py credly_import_badges``
  and the task a learner's first panel view enqueues).
"""
import logging
from collections import Counter

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from openedx_credly.credly import CredlyCredentialError, CredlyError, CredlyNotFoundError, CredlyRateLimitError
from openedx_credly.credly.connections import client_for
from openedx_credly.issuing import issuance
from openedx_credly.issuing.credly_records import (
    apply_credly_badge,
    fields_from,
    issued_for,
    issuer_earner_id,
    mark_gone,
)
from openedx_credly.models import BadgeTemplate, CourseBadgeTemplate, CredlyOrganization, IssuedBadge

log = logging.getLogger(__name__)

# How many badge rows one query loads while refreshing.
REFRESH_CHUNK = 100
# Ids of pending badges read per query (pending_badge_ids).
PENDING_IDS_BATCH = 1000
# Recorded as the "earned through event" of imported badges.
IMPORT_EVENT_TYPE = "credly.import"

# Outcomes of import_credly_badge.
CREATED, UPDATED, ADOPTED = "created", "updated", "adopted"
NOT_OURS, UNKNOWN_LEARNER, NOT_SHOWN, ALREADY_HELD = "not_ours", "unknown_learner", "not_shown", "already_held"
# A badge of a template that allows duplicates, issued for none of our rows, whose place
# (the learner, the template, the course an import gives) another achievement holds.
OTHER_ACHIEVEMENT = "other_achievement"
RECORDED = (CREATED, UPDATED, ADOPTED)


def _now():
    return timezone.now()


# ---------------------------------------------------------------- one badge


def find_badge(organization, credly_badge_id):
    """Our row for a Credly badge of ``organization``, or None."""
    if not credly_badge_id:
        return None
    return (
        IssuedBadge.objects.filter(credly_badge_id=str(credly_badge_id), template__organization=organization)
        .select_related("template", "user")
        .first()
    )


def template_id_of(data):
    """The template id of a Credly badge object (embedded template, or a bare id)."""
    embedded = data.get("badge_template")
    if isinstance(embedded, dict) and embedded.get("id"):
        return str(embedded["id"])
    return str(data.get("badge_template_id") or "")


def match_learner(data):
    """The active learner a Credly badge was issued to: by our earner id first, then by email."""
    users = get_user_model().objects.filter(is_active=True)
    prefix = issuer_earner_id("")
    earner_id = str(data.get("issuer_earner_id") or "")
    if earner_id.startswith(prefix) and earner_id[len(prefix):].isdigit():
        user = users.filter(pk=int(earner_id[len(prefix):])).first()
        if user:
            return user
    email = (data.get("recipient_email") or "").strip()
    if not email:
        return None
    matches = list(users.filter(email__iexact=email)[:2])
    return matches[0] if len(matches) == 1 else None


def single_course(template, cache=None):
    """The course a template is mapped to, when it is exactly one; else the empty course."""
    if cache is not None and template.pk in cache:
        return cache[template.pk]
    courses = list(
        CourseBadgeTemplate.objects.filter(template=template).values_list("course_id", flat=True).distinct()[:2]
    )
    course = courses[0] if len(courses) == 1 else None
    if cache is not None:
        cache[template.pk] = course
    return course


def import_credly_badge(organization, data, *, templates=None, learner=None, course_cache=None, now=None):
    """
    Record one Credly badge of ``organization``; returns what happened (see the outcomes above).

    A badge we know (by Credly id) is updated. An unknown one is recorded when its
    template is one of ours, it is pending or accepted, and it was issued to one of
    our learners (``learner`` when the caller asked Credly for that learner's badges).
    A row of ours for the same achievement, whatever its course, is that badge
    (``_same_achievement``): a queued or failed one adopts it rather than sending again,
    any other keeps what it holds. Otherwise a new row gets the template's course when
    the template is mapped to exactly one course, else no course. Rows are never duplicated.
    """
    now = now or _now()
    existing = find_badge(organization, data.get("id"))
    if existing:
        apply_credly_badge(existing, data, now)
        return UPDATED
    if not data.get("id") or data.get("state") not in IssuedBadge.VISIBLE_STATES:
        return NOT_SHOWN
    template_id = template_id_of(data)
    if templates is not None:
        template = templates.get(template_id)
    else:
        template = BadgeTemplate.objects.filter(organization=organization, template_id=template_id).first()
    if template is None:
        return NOT_OURS
    learner = learner or match_learner(data)
    if learner is None:
        return UNKNOWN_LEARNER
    course = single_course(template, course_cache)
    fields = fields_from(data, now)
    try:
        with transaction.atomic():
            rows = _rows_of(learner, template)
            same = [row for row in rows if _same_achievement(row, data)]
            if same:
                return _adopt(same, fields, now)
            if any(str(row.course_id or "") == str(course or "") for row in rows):
                # That place holds another achievement of a template that allows duplicates.
                return OTHER_ACHIEVEMENT
            created = IssuedBadge.objects.create(
                user=learner,
                template=template,
                course_id=course,
                recipient_email=(data.get("recipient_email") or learner.email)[:254],
                recipient_name=(data.get("issued_to") or learner.get_full_name() or "")[:255],
                earned_at=fields.get("issued_at") or now,
                trigger_event_type=IMPORT_EVENT_TYPE,
                **fields,
            )
            issuance.start_recorded(created, fields, now)
            return CREATED
    except IntegrityError:
        # Another worker recorded the same achievement at the same moment.
        return ALREADY_HELD


def _rows_of(learner, template):
    """
    The learner's rows of ``template`` in every course, locked for this transaction.

    Only rows seen to exist are locked: a locking read of a missing row takes a gap lock on
    MySQL, and two imports racing to insert would deadlock (the unique constraint settles that race).
    """
    ids = list(IssuedBadge.objects.filter(user=learner, template=template).values_list("pk", flat=True))
    if not ids:
        return []
    return list(IssuedBadge.objects.select_for_update().filter(pk__in=ids).select_related("template").order_by("pk"))


def _same_achievement(row, data):
    """
    Whether Credly's badge ``data`` is the badge of our ``row``, matched as sending matches
    (``find_existing``): for a template that allows duplicates, only a badge ``issued_for``
    the row's achievement; otherwise Credly holds one live badge of the template per learner.
    """
    return not row.template.allow_duplicate_badges or issued_for(data, row)


def _adopt(rows, fields, now):
    """Record the badge on the first of ``rows`` still waiting to be sent; ALREADY_HELD when none can take it."""
    for row in rows:
        if row.credly_badge_id or row.state not in (IssuedBadge.STATE_QUEUED, IssuedBadge.STATE_FAILED):
            continue
        current = issuance.current(row.pk)
        if current is not None and issuance.record_issued(current.pk, fields, now, adopt=True):
            return ADOPTED
    # A worker is sending it right now (it records the badge itself), or a row already holds one.
    return ALREADY_HELD


def _organizations(organization=None):
    if organization is not None:
        return [organization]
    return list(CredlyOrganization.objects.filter(is_active=True, connection_lost_at__isnull=True))


def import_for_organization(organization, learner=None, stats=None):
    """
    Import ``organization``'s pending and accepted badges (only ``learner``'s, by recipient email).

    Returns a ``Counter`` of outcomes. Raises ``CredlyError`` when Credly cannot be read.
    """
    stats = stats if stats is not None else Counter()
    templates = {template.template_id: template for template in organization.templates.all()}
    if not templates:
        return stats  # no template of ours: none of its badges can be ours
    filters = {"state": [IssuedBadge.STATE_PENDING, IssuedBadge.STATE_ACCEPTED]}
    if learner is not None:
        if not learner.email:
            return stats
        # All the person's verified emails on Credly, not only the one we know.
        filters["recipient_email_all"] = learner.email
    course_cache = {}
    for data in client_for(organization).iter_badges(filters=filters):
        stats[import_credly_badge(organization, data, templates=templates, learner=learner,
                                  course_cache=course_cache)] += 1
    return stats


def import_for_user(user, organizations=None):
    """Import one learner's earlier badges from every connected organization; returns outcome counts."""
    stats = Counter()
    for organization in organizations if organizations is not None else _organizations():
        try:
            import_for_organization(organization, learner=user, stats=stats)
        except CredlyError as error:
            stats["errors"] += 1
            log.warning("Could not import the Credly badges of user %s from organization %s: %s",
                        user.pk, organization.organization_id, error.message or error.__class__.__name__)
    return stats


# ---------------------------------------------------------------- refresh


def pending_badge_ids(organization=None, limit=None, now=None):
    """
    Ids of badges pending on our side that can be refreshed now, least recently checked first.

    Every refresh touches ``modified``, so successive runs go round all pending badges,
    starting with the oldest. Read in batches that each continue where the last one ended
    (``modified, id`` after the last seen), in the order of the (state, modified) index: no
    sort, and (unless an organization is blocked) no row read, whatever the number of
    pending badges.
    """
    now = now or _now()
    rows = IssuedBadge.objects.filter(state=IssuedBadge.STATE_PENDING)
    # Templates by id, never a join to the organizations.
    if organization is not None:
        rows = rows.filter(template_id__in=list(organization.templates.values_list("pk", flat=True)))
    blocked = list(BadgeTemplate.objects.filter(organization__in=CredlyOrganization.objects.filter(
        Q(is_active=False) | Q(connection_lost_at__isnull=False) | Q(issuing_paused_until__gt=now)
    )).values_list("pk", flat=True))
    if blocked:
        rows = rows.exclude(template_id__in=blocked)
    ids, after = [], None
    while limit is None or len(ids) < limit:
        size = PENDING_IDS_BATCH if limit is None else min(PENDING_IDS_BATCH, limit - len(ids))
        batch = rows if after is None else rows.filter(
            Q(modified__gt=after[0]) | Q(modified=after[0], pk__gt=after[1]))
        batch = list(batch.order_by("modified", "pk").values_list("modified", "pk")[:size])
        ids.extend(pk for _modified, pk in batch)
        if len(batch) < size:
            break
        after = batch[-1]
    return ids


def refresh_pending(organization=None, limit=None):
    """
    Re-read pending badges from Credly, in chunks, oldest first; returns a ``Counter``.

    Keys: ``changed``, ``unchanged``, ``gone`` (Credly no longer has it), ``errors``,
    ``skipped`` (its organization refused us or asked us to slow down during this run).
    """
    stats = Counter()
    ids = pending_badge_ids(organization, limit)
    clients, stopped = {}, set()
    for start in range(0, len(ids), REFRESH_CHUNK):
        chunk = ids[start:start + REFRESH_CHUNK]
        badges = (
            IssuedBadge.objects.filter(pk__in=chunk, state=IssuedBadge.STATE_PENDING).exclude(credly_badge_id="")
            .select_related("template__organization", "user")
            .order_by("modified", "pk")
        )
        for badge in badges:
            owner = badge.template.organization
            if owner.pk in stopped:
                stats["skipped"] += 1
                continue
            client = clients.get(owner.pk) or clients.setdefault(owner.pk, client_for(owner))
            try:
                data = client.get_badge(badge.credly_badge_id)
            except CredlyNotFoundError:
                mark_gone(badge, _("Credly no longer has this badge."))
                stats["gone"] += 1
                continue
            except (CredlyRateLimitError, CredlyCredentialError) as error:
                # Asking again now would only be refused again: leave the rest for the next run.
                stopped.add(owner.pk)
                stats["skipped"] += 1
                log.warning("Stopped refreshing the badges of Credly organization %s: %s",
                            owner.organization_id, error.message or error.__class__.__name__)
                continue
            except CredlyError as error:
                stats["errors"] += 1
                log.info("Could not refresh Credly badge %s: %s", badge.pk, error.message or error.__class__.__name__)
                continue
            stats["changed" if apply_credly_badge(badge, data) else "unchanged"] += 1
    return stats


def refresh_limit():
    """How many pending badges one periodic run refreshes."""
    return int(getattr(settings, "CREDLY_REFRESH_PENDING_LIMIT", 500))
