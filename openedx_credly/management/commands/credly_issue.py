"""
``manage.py credly_issue --course COURSE --user USERNAME [--template ID] [--dry-run]``

Try a course's badge on one learner first. ``--dry-run`` says, for each of the course's
mappings, whether its rules (grade range, certificate modes) would award the badge to this
learner and why not, from the platform's grade and certificate; then prints the request
that would be sent to Credly (the URL, then exactly the JSON body) for those that would.
It changes nothing; the credential is never printed. Without it, the achievement is recorded and sent through
the normal queue, and the badge's state is printed. ``COURSE`` may be a CCX (``ccx-v1:…``): its
master course's badges, with the learner's grade and achievement read under the CCX, as the LMS keeps them.
"""
import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from openedx_credly.awarding import award_rules
from openedx_credly.awarding.achievements import badge_course
from openedx_credly.awarding.recording import Achievement, active_mappings, record_achievement
from openedx_credly.credly.connections import api_base_url
from openedx_credly.issuing import delivery
from openedx_credly.models import CourseBadgeTemplate, IssuedBadge
from openedx_credly.models.rules import expires_at
from openedx_credly.platform import get_platform

TRIGGERS = (CourseBadgeTemplate.TRIGGER_CERTIFICATE, CourseBadgeTemplate.TRIGGER_PASSING,
            CourseBadgeTemplate.TRIGGER_GRADE)


def issue_url(organization):
    """Where the badge is POSTed: ``{API base}organizations/{org}/badges``."""
    return f"{api_base_url(organization.use_sandbox)}organizations/{organization.organization_id}/badges"


class Command(BaseCommand):
    """Issue (or show, with --dry-run) one learner's badge for one course."""

    help = "Issue a course's Credly badge to one learner, or with --dry-run print what would be sent."

    def add_arguments(self, parser):
        parser.add_argument("--course", required=True, help="Course id, e.g. course-v1:Org+Course+Run.")
        parser.add_argument("--user", required=True, help="The learner's username.")
        parser.add_argument("--template", help="Credly template ID, when the course awards several.")
        parser.add_argument("--dry-run", action="store_true",
                            help="Print the request that would be sent to Credly; record and send nothing.")

    def handle(self, *args, **options):
        try:
            # A CCX: the learner's grade and achievements are under its key, the badges its master course's.
            learner_course = CourseKey.from_string(options["course"])
        except InvalidKeyError as error:
            raise CommandError(f"{options['course']!r} is not a course id (course-v1:Org+Course+Run).") from error
        course_key = badge_course(learner_course)
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user with the username {options['user']!r}.")
        if not user.is_active:
            raise CommandError(f"{user.username}'s account is inactive: Credly would not be sent a badge for it.")
        if not user.email:
            raise CommandError(f"{user.username} has no email address, which Credly needs.")

        mappings = [mapping for trigger in TRIGGERS for mapping in active_mappings(course_key, trigger)]
        if options["template"]:
            mappings = [mapping for mapping in mappings if mapping.template.template_id == options["template"]]
        if not mappings:
            which = f"the badge template {options['template']}" if options["template"] else "any badge template"
            raise CommandError(
                f"{course_key} does not award {which} that can issue now. Map an active template to the course "
                "(admin, API or Advanced Settings), or check that its Credly organization is switched on."
            )
        full_name = get_platform().get_full_name(user) or ""
        courses = (course_key, learner_course)
        if options["dry_run"]:
            self._dry_run(user, courses, mappings, full_name)
        else:
            self._issue(user, courses, mappings, full_name)

    def _earned_at(self, user, course_key, trigger):
        """When the learner earned the course, if the platform knows; else now (a test issue)."""
        if trigger == CourseBadgeTemplate.TRIGGER_GRADE:
            return timezone.now()  # a grade badge is dated when the grade was reached
        lookup = getattr(get_platform(), "get_user_achievements", None)
        earned_at = lookup(user.pk, [course_key], trigger).get(str(course_key)) if lookup else None
        if earned_at is None:
            self.stderr.write(
                f"Note: {user.username} has not earned {course_key} ({trigger}) as far as the platform knows; "
                "the badge is dated now."
            )
        return earned_at or timezone.now()

    @staticmethod
    def _grade_and_mode(user, course_key, trigger):
        """What the rules look at, as the platform knows it: ``(grade, mode)``."""
        platform = get_platform()
        if trigger == CourseBadgeTemplate.TRIGGER_CERTIFICATE:
            certificate = getattr(platform, "get_certificate", lambda *args: None)(user.pk, course_key) or {}
            return certificate.get("grade"), certificate.get("mode") or ""
        return getattr(platform, "get_course_grade", lambda *args: None)(user.pk, course_key), ""

    def _explain(self, user, course_key, mapping):
        """Say whether the mapping's rules award this learner, and why; returns the verdict."""
        grade, mode = self._grade_and_mode(user, course_key, mapping.trigger)
        verdict = award_rules.evaluate(mapping, grade, mode)
        rules = award_rules.describe(mapping)
        if verdict:
            self.stderr.write(f"{mapping.template.name} ({mapping.trigger}; {rules}): would award.")
        else:
            self.stderr.write(f"{mapping.template.name} ({mapping.trigger}; {rules}): would NOT award: "
                              f"{verdict.reason}.")
        return verdict

    def _dry_run(self, user, courses, mappings, full_name):
        """Print what would be sent to Credly for each mapping; record nothing."""
        course_key, learner_course = courses
        for mapping in mappings:
            if not self._explain(user, learner_course, mapping):
                continue
            earned_at = self._earned_at(user, learner_course, mapping.trigger)
            existing = IssuedBadge.objects.filter(user=user, template=mapping.template, course_id=course_key).first()
            if existing:
                self.stderr.write(
                    f"Note: {user.username} already has this badge here (state {existing.state}); "
                    "a real run would not send it again."
                )
            badge = IssuedBadge(
                user=user, template=mapping.template, course_id=course_key, recipient_email=user.email,
                recipient_name=full_name.strip(), earned_at=earned_at,
                expires_at=expires_at(earned_at, mapping.expires_in_months),
            )
            self.stdout.write(f"POST {issue_url(mapping.template.organization)}")
            self.stdout.write(json.dumps(delivery.build_payload(badge), indent=2))
        self.stderr.write("Dry run: nothing was recorded or sent.")

    def _issue(self, user, courses, mappings, full_name):
        """Record the badges through the normal path and send them now."""
        course_key, learner_course = courses
        for trigger in TRIGGERS:
            selected = [mapping for mapping in mappings if mapping.trigger == trigger]
            if selected:
                earned_at = self._earned_at(user, learner_course, trigger)
                grade, mode = self._grade_and_mode(user, learner_course, trigger)
                record_achievement(Achievement(
                    user_id=user.pk, course_key=course_key, trigger=trigger, earned_at=earned_at, email=user.email,
                    full_name=full_name, username=user.username, event_type="openedx_credly.credly_issue",
                    grade=grade, mode=mode,
                ), mappings=selected)
        for mapping in mappings:
            badge = IssuedBadge.objects.filter(user=user, template=mapping.template, course_id=course_key).first()
            if badge is None:
                verdict = award_rules.evaluate(mapping, *self._grade_and_mode(user, learner_course, mapping.trigger))
                if not verdict:
                    self.stdout.write(f"{mapping.template.name}: not awarded: {verdict.reason}.")
                else:
                    self.stdout.write(f"{mapping.template.name}: not recorded; see the Credly error log.")
                continue
            line = f"{mapping.template.name}: {badge.state}"
            if badge.state == IssuedBadge.STATE_QUEUED:
                line += " (a Celery worker sends it)"
            if badge.credly_badge_id:
                line += f", Credly badge {badge.credly_badge_id}"
            if badge.last_error:
                line += f", last error: {badge.last_error}"
            self.stdout.write(line)
