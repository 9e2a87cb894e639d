import pytest
from django.utils import timezone
from openedx_credly.models import IssuedBadge
from opaque_keys.edx.django.models import CourseKeyField

def test_x(template, learner):
    b = IssuedBadge.objects.create(user=learner, template=template, earned_at=timezone.now())
    print(repr(b.course_id))
    b.refresh_from_db(); print(repr(b.course_id))
    print(IssuedBadge.objects.filter(course_id=CourseKeyField.Empty).count())
    try:
        print(IssuedBadge.objects.filter(course_id="").count())
    except Exception as e: print("ERR", type(e), e)
    print(IssuedBadge.objects.filter(course_id=None).count())
    IssuedBadge.objects.bulk_create([IssuedBadge(user=learner, template=template, earned_at=timezone.now(), course_id=CourseKeyField.Empty)], ignore_conflicts=True)
    print(IssuedBadge.objects.count())
