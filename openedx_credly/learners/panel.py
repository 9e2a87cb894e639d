"""
What a learner's "Badges Earned" shows, read from our own tables only.

The JSON API (``api/v1/badges.py``) and the framed profile page (``learners/views.py``) both
come here. Rendering never calls Credly and costs the same number of queries
whatever the number of badges: a count, one query for a page of badges with their
templates, and one ``get_course_names`` call for the page's courses. Badges the learner earned
before the plugin was installed are imported by a Celery task that the first view
enqueues (``schedule_first_view_import``), never inline.
"""
import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from openedx_credly.issuing import scheduling
from openedx_credly.models import IssuedBadge
from openedx_credly.platform import get_platform
from openedx_credly.safe_urls import credly_url

log = logging.getLogger(__name__)

# The first-view import runs once per learner while this mark lives (30 days: the
# longest memcached allows); a later import is harmless, it never duplicates rows.
IMPORT_MARK_KEY = "openedx_credly:badges_imported:{user_id}"
IMPORT_MARK_TTL = 30 * 24 * 3600


@dataclass(frozen=True)
class LearnerBadge:
    """One badge as the learner sees it."""

    id: str
    name: str
    description: str
    image_url: str
    state: str
    earned_at: datetime
    course_id: str
    course_name: str
    learning_path_name: str
    accept_url: str
    badge_url: str
    template_id: str
    expires_at: datetime = None
    milestone_name: str = ""

    @property
    def is_expired(self):
        """Whether the badge's expiry date has passed (expired badges are labelled, not hidden)."""
        return bool(self.expires_at and self.expires_at <= timezone.now())

    @property
    def is_pending(self):
        return self.state == IssuedBadge.STATE_PENDING

    @property
    def earned_for(self):
        """What earned the badge, as the learner knows it: the learning path or milestone, else the course."""
        return self.learning_path_name or self.milestone_name or self.course_name

    @property
    def action_url(self):
        """Where the badge's one button leads: accept it while pending, view it once accepted."""
        return self.accept_url if self.is_pending else self.badge_url


def safe_url(url):
    """``url`` if it may be shown (``safe_urls.credly_url``), else "": no ``javascript:`` link from stored data."""
    return credly_url(url)


@dataclass(frozen=True)
class BadgePage:
    """One page of a learner's badges, newest first."""

    badges: list
    count: int  # all the learner's visible badges
    number: int
    size: int

    @property
    def last_page(self):
        """The number of the last page (1 when there is no badge)."""
        return max(1, -(-self.count // self.size))

    @property
    def past_the_end(self):
        """Whether the page asked for comes after the last one (it is then empty)."""
        return self.number > self.last_page

    @property
    def has_next(self):
        return self.number * self.size < self.count

    @property
    def has_previous(self):
        return self.number > 1


def learner_badges(user, page=1, page_size=None, states=None, clamp=False):
    """
    A page of the learner's pending and accepted badges (or those of ``states``), newest first.

    Three queries whatever the number of badges (count, page, course names), and the
    rendering cost is that of one page, so a learner with a thousand badges costs what
    a learner with a page of them does. A page past the last is empty and costs no
    query beyond the count, so a huge page number never reaches the database as an
    offset; with ``clamp`` it is the last page instead.
    """
    size = max(1, int(page_size or settings.CREDLY_BADGES_PAGE_SIZE))
    number = max(1, int(page))
    shown = [state for state in (states or IssuedBadge.VISIBLE_STATES) if state in IssuedBadge.VISIBLE_STATES]
    visible = IssuedBadge.objects.filter(user=user, state__in=shown).exclude(credly_badge_id="")
    count = visible.count()
    last = max(1, -(-count // size))
    if clamp:
        number = min(number, last)
    rows = [] if number > last else list(
        visible.select_related("template", "learning_path", "milestone")
        .order_by("-earned_at", "-pk")[(number - 1) * size:number * size]
    )
    course_keys = {row.course_id for row in rows if row.course_id}
    course_names = get_platform().get_course_names(course_keys) if course_keys else {}
    badges = []
    for row in rows:
        course_id = str(row.course_id) if row.course_id else ""
        pending = row.state == IssuedBadge.STATE_PENDING
        badges.append(LearnerBadge(
            id=row.credly_badge_id,
            name=row.template.name,
            description=row.template.description,
            image_url=safe_url(row.image_url) or safe_url(row.template.image_url),
            state=row.state,
            earned_at=row.earned_at,
            course_id=course_id,
            course_name=course_names.get(course_id, "") if course_id else "",
            learning_path_name=row.learning_path.name if row.learning_path_id else "",
            accept_url=safe_url(row.accept_url) if pending else "",
            badge_url=safe_url(row.badge_url),
            template_id=row.template.template_id,
            expires_at=row.expires_at,
            milestone_name=row.milestone.name if row.milestone_id else "",
        ))
    return BadgePage(badges=badges, count=count, number=number, size=size)


def without_accept_links(page):
    """``page`` without its accept links: they are the owner's alone, whoever else looks (staff included)."""
    return dataclasses.replace(page, badges=[dataclasses.replace(badge, accept_url="") for badge in page.badges])


def schedule_first_view_import(user):
    """
    On a learner's first view, enqueue the import of their earlier Credly badges.

    Returns whether an import was scheduled. The cache mark makes it once per learner;
    the task runs after the request's transaction commits, so the view never waits.
    """
    if not getattr(settings, "CREDLY_IMPORT_ON_FIRST_VIEW", True) or not user.email:
        return False
    if not cache.add(IMPORT_MARK_KEY.format(user_id=user.pk), True, timeout=IMPORT_MARK_TTL):
        return False
    user_id = user.pk

    def enqueue():
        if not scheduling.send(scheduling.IMPORT_BADGES_FOR_USER, user_id):
            # The broker is down: forget the mark so a later view tries again.
            cache.delete(IMPORT_MARK_KEY.format(user_id=user_id))

    transaction.on_commit(enqueue)
    return True
