"""``credly_issue --dry-run`` explains which rule would or would not award, and why."""
import json
from datetime import datetime, timezone
from decimal import Decimal

from django.core.management import call_command
from opaque_keys.edx.keys import CourseKey

from devhost.standin import models as standin
from openedx_credly.models import CourseBadgeTemplate, IssuedBadge

EARNED = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)


def test_dry_run_explains_each_rule(template, make_template, course_key, learner, capsys):
    CourseBadgeTemplate.objects.create(course_id=course_key, template=template, trigger="certificate",
                                       expires_in_months=24)
    CourseBadgeTemplate.objects.create(course_id=course_key, template=make_template("Distinction"),
                                       trigger="certificate", min_grade=Decimal("90"))
    CourseBadgeTemplate.objects.create(course_id=course_key, template=make_template("Verified only"),
                                       trigger="certificate", modes=["verified"])
    standin.Certificate.objects.create(user=learner, course_id=course_key, created_date=EARNED, grade="0.87",
                                       mode="audit")

    call_command("credly_issue", "--course", str(course_key), "--user", learner.username, "--dry-run")

    captured = capsys.readouterr()
    assert ("Distinction (certificate; grade of at least 90 %): would NOT award: "
            "grade 0.87 (87 %) is below this mapping's minimum of 90 %.") in captured.err
    assert ('Verified only (certificate; certificate modes: verified): would NOT award: '
            'the certificate mode "audit" is not one of this mapping\'s modes (verified).') in captured.err
    assert "Course Finisher (certificate; expires 24 month(s) after it is earned): would award." in captured.err
    first_line, _, body = captured.out.partition("\n")
    payload = json.loads(body)  # one request only: the badge that would be awarded
    assert first_line.startswith("POST ")
    assert payload["badge_template_id"] == template.template_id
    assert payload["expires_at"] == "2028-06-01 12:00:00 +0000"
    assert not IssuedBadge.objects.exists()


def test_real_run_says_why_a_rule_did_not_award(make_template, course_key, learner, capsys,
                                                django_capture_on_commit_callbacks):
    CourseBadgeTemplate.objects.create(course_id=course_key, template=make_template("Top"), trigger="grade",
                                       min_grade=Decimal("90"))
    standin.CourseGrade.objects.create(user=learner, course_id=course_key, percent_grade=0.5)
    with django_capture_on_commit_callbacks(execute=False):
        call_command("credly_issue", "--course", str(course_key), "--user", learner.username)
    assert "Top: not awarded: grade 0.5 (50 %) is below this mapping's minimum of 90 %." in capsys.readouterr().out
    assert not IssuedBadge.objects.exists()


def test_dry_run_of_a_ccx_learner_reads_the_grade_of_the_ccx(make_template, course_key, learner, capsys):
    """``--course`` a CCX: the master course's mappings, the grade the LMS keeps under the CCX's key (issue 19)."""
    ccx_key = CourseKey.from_string(f"ccx-v1:{course_key.org}+{course_key.course}+{course_key.run}+ccx@3")
    CourseBadgeTemplate.objects.create(course_id=course_key, template=make_template("Passed with honors"),
                                       trigger="passing", min_grade=Decimal("90"))
    standin.CourseGrade.objects.create(user=learner, course_id=ccx_key, passed_timestamp=EARNED, percent_grade=0.93)

    call_command("credly_issue", "--course", str(ccx_key), "--user", learner.username, "--dry-run")

    captured = capsys.readouterr()
    assert "Passed with honors (passing; grade of at least 90 %): would award." in captured.err
    payload = json.loads(captured.out.partition("\n")[2])
    assert payload["issued_at"] == "2026-06-01 12:00:00 +0000"
    assert str(course_key) in payload["evidence"][0]["value"]
