"""
Admin changelists of tables with millions of rows (issued badges, error log, webhook events).

What Django's admin does by default costs what the table costs on a large site; the mixin
and filters here cost what the page costs (docs/performance.rst, "Scale"):

* the page's rows are read alone, then their relations by primary key (``prefetch_related``),
  never the big table joined to its relations in one statement (MariaDB then drives the
  query from the small table and sorts the big one);
* the row count stops at ``COUNT_CAP`` ("10,000+"), and the unfiltered total is not counted;
* filters run no query to list their choices, and filter on the big table's own indexed
  columns (``template_id IN (…)``, never a join to the organization);
* searches look for exact values through indexes, never ``LIKE '%…%'`` over every row.
"""
from datetime import timedelta

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from openedx_credly.models import BadgeTemplate, CredlyOrganization

#: The changelists count rows up to this number, then say "10,000+".
COUNT_CAP = 10_000


class CappedCountPaginator(Paginator):
    """A paginator that counts at most ``COUNT_CAP + 1`` rows (``SELECT COUNT(*) FROM (… LIMIT 10001)``)."""

    @cached_property
    def count(self):
        # Unordered: the count reads the filter's index, not the page's order.
        return self.object_list.order_by()[:COUNT_CAP + 1].count()

    @property
    def count_is_capped(self):
        return self.count > COUNT_CAP

    @property
    def count_label(self):
        """The count as shown: exact up to the cap, "10,000+" beyond it (empty when exact)."""
        if not self.count_is_capped:
            return ""
        return gettext("%(count)s+") % {"count": number_format(COUNT_CAP, force_grouping=True)}


class LargeTableAdminMixin:
    """A changelist whose page costs what the page costs (see the module docstring)."""

    list_select_related = ()  # not False: False lets Django join every relation shown in a column
    #: Relations of the page's rows, loaded by primary key after the page (one query each).
    list_prefetch = ()
    show_full_result_count = False
    paginator = CappedCountPaginator
    show_facets = admin.ShowFacets.NEVER
    # Sorting by another column would sort every row of the table; the default order uses an index.
    sortable_by = ()

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(*self.list_prefetch)


class RecentDateFilter(admin.SimpleListFilter):
    """
    Today, the past 7 days, the past 30 days, the past year: fixed choices, a range on the date.

    Instead of ``date_hierarchy``, which reads the first and last date and every distinct
    day, month or year of the filtered rows on each page.
    """

    title = _("earned")
    parameter_name = "earned"
    field_name = "earned_at"
    DAYS = {"today": 1, "week": 7, "month": 30, "year": 365}

    def lookups(self, request, model_admin):
        return [("today", _("Last 24 hours")), ("week", _("Past 7 days")), ("month", _("Past 30 days")),
                ("year", _("Past year"))]

    def queryset(self, request, queryset):
        days = self.DAYS.get(self.value())
        if days is None:
            return queryset
        return queryset.filter(**{f"{self.field_name}__gte": timezone.now() - timedelta(days=days)})


class TemplateOrganizationFilter(admin.SimpleListFilter):
    """The organization of a row's template, as ``template_id IN (its templates)``: no join to the big table."""

    title = _("organization")
    parameter_name = "organization"

    def lookups(self, request, model_admin):
        return [(str(pk), name) for pk, name in CredlyOrganization.objects.order_by("name").values_list("pk", "name")]

    def queryset(self, request, queryset):
        if not (self.value() or "").isdigit():
            return queryset
        template_ids = list(BadgeTemplate.objects.filter(organization_id=int(self.value()))
                            .values_list("pk", flat=True))
        return queryset.filter(template_id__in=template_ids)


class FixedChoicesFilter(admin.SimpleListFilter):
    """A filter on a column whose values are known in advance: no ``SELECT DISTINCT`` over the table."""

    values = ()
    field_name = ""

    def lookups(self, request, model_admin):
        return [(value, value) for value in self.values]

    def queryset(self, request, queryset):
        if self.value() in self.values:
            return queryset.filter(**{self.field_name: self.value()})
        return queryset


def learner_ids(term, limit=100):
    """Ids of the accounts whose username is ``term`` (auth_user's unique index on username)."""
    return list(get_user_model().objects.filter(username=term).values_list("pk", flat=True)[:limit])


def search_issued_badges(queryset, search_term):
    """
    Badges whose learner's username, recipient email, Credly badge id or course id is exactly the term.

    The username is looked up first (its own index), so the badge query is an OR of indexed
    columns of the badge table alone, which MariaDB answers with an index merge.
    """
    term = search_term.strip()
    if not term:
        return queryset
    matches = Q(credly_badge_id=term) | Q(recipient_email=term)
    users = learner_ids(term)
    if users:
        matches |= Q(user_id__in=users)
    try:
        matches |= Q(course_id=CourseKey.from_string(term))
    except InvalidKeyError:
        pass
    return queryset.filter(matches)
