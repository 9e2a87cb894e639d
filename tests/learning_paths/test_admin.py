"""The learning-path admin: a path with its courses as inline rows, and clear validation errors."""
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from devhost.standin import models as standin
from openedx_credly import tasks
from openedx_credly.issuing import scheduling
from openedx_credly.models import BadgeTemplate, IssuedBadge, LearningPath, LearningPathCourse, LearningPathProgress
from tests.learning_paths.conftest import COURSE_A, COURSE_B, make_path

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(user)
    return client


def form_data(template, course_ids, *, rule="all", required_count="", is_active=True, name="Data path", initial=0,
              extra=None):
    data = {
        "name": name, "template": str(template.pk), "rule": rule, "required_count": str(required_count),
        "courses-TOTAL_FORMS": str(len(course_ids)), "courses-INITIAL_FORMS": str(initial),
        "courses-MIN_NUM_FORMS": "0", "courses-MAX_NUM_FORMS": "1000",
    }
    if is_active:
        data["is_active"] = "on"
    for index, course_id in enumerate(course_ids):
        data[f"courses-{index}-course_id"] = course_id
        data[f"courses-{index}-trigger"] = "certificate"
    data.update(extra or {})
    return data


def add(admin_client, data):
    return admin_client.post(reverse("admin:openedx_credly_learningpath_add"), data)


def errors_of(response):
    """Every error the admin page shows, as text."""
    texts = [str(error) for error in response.context["errors"]]
    for formset in response.context["inline_admin_formsets"]:
        texts += [str(error) for error in formset.formset.non_form_errors()]
    return " ".join(texts)


def test_add_page_renders(admin_client, courses):
    response = admin_client.get(reverse("admin:openedx_credly_learningpath_add"))
    assert response.status_code == 200
    assert b"courses-0-course_id" in response.content


def test_add_a_path_with_two_courses(admin_client, courses, path_template):
    response = add(admin_client, form_data(path_template, [COURSE_A, COURSE_B], rule="at_least", required_count=1))
    assert response.status_code == 302, errors_of(response)
    path = LearningPath.objects.get()
    assert (path.rule, path.required_count, path.created_by.username) == ("at_least", 1, "root")
    assert sorted(str(row.course_id) for row in path.courses.all()) == [COURSE_A, COURSE_B]


def test_rule_all_drops_a_stale_n(admin_client, courses, path_template):
    response = add(admin_client, form_data(path_template, [COURSE_A], rule="all", required_count=5))
    assert response.status_code == 302, errors_of(response)
    assert LearningPath.objects.get().required_count is None


def test_malformed_course_id(admin_client, courses, path_template):
    response = add(admin_client, form_data(path_template, [COURSE_A, "not a course"]))
    assert response.status_code == 200
    assert "not a course is not a course ID" in errors_of(response)
    assert not LearningPath.objects.exists()


def test_unknown_course_id(admin_client, courses, path_template):
    response = add(admin_client, form_data(path_template, [COURSE_A, "course-v1:Nobody+NONE+2026"]))
    assert response.status_code == 200
    assert "No course with the ID course-v1:Nobody+NONE+2026 exists" in errors_of(response)
    assert not LearningPath.objects.exists()


def test_n_larger_than_the_course_count(admin_client, courses, path_template):
    response = add(admin_client, form_data(path_template, [COURSE_A, COURSE_B], rule="at_least", required_count=3))
    assert response.status_code == 200
    assert "N is 3, but the learning path has only 2 courses." in errors_of(response)
    assert not LearningPath.objects.exists()


def test_at_least_without_n(admin_client, courses, path_template):
    response = add(admin_client, form_data(path_template, [COURSE_A], rule="at_least"))
    assert response.status_code == 200
    assert "enter N" in errors_of(response)


def test_no_course(admin_client, courses, path_template):
    response = add(admin_client, form_data(path_template, []))
    assert response.status_code == 200
    assert "Add at least one course" in errors_of(response)


def test_duplicate_course(admin_client, courses, path_template):
    response = add(admin_client, form_data(path_template, [COURSE_A, COURSE_A]))
    assert response.status_code == 200
    assert "listed twice" in errors_of(response)


def test_archived_template(admin_client, courses, path_template):
    path_template.state = BadgeTemplate.STATE_ARCHIVED
    path_template.save()
    response = add(admin_client, form_data(path_template, [COURSE_A]))
    assert response.status_code == 200
    assert "is archived on Credly" in errors_of(response)
    assert not LearningPath.objects.exists()


def test_removing_a_course_row_cannot_leave_n_too_large(admin_client, courses, path_template):
    path = make_path(path_template, courses[:2], rule=LearningPath.RULE_AT_LEAST, required_count=2)
    rows = list(path.courses.order_by("id"))
    data = form_data(path_template, [COURSE_A, COURSE_B], rule="at_least", required_count=2, initial=2, extra={
        "courses-0-id": str(rows[0].pk), "courses-0-path": str(path.pk),
        "courses-1-id": str(rows[1].pk), "courses-1-path": str(path.pk), "courses-1-DELETE": "on",
    })
    response = admin_client.post(reverse("admin:openedx_credly_learningpath_change", args=[path.pk]), data)
    assert response.status_code == 200
    assert "N is 2, but the learning path has only 1 course." in errors_of(response)
    assert LearningPathCourse.objects.filter(path=path).count() == 2


def test_changelist(admin_client, courses, path_template):
    make_path(path_template, courses, rule=LearningPath.RULE_AT_LEAST, required_count=2, name="Listed path")
    response = admin_client.get(reverse("admin:openedx_credly_learningpath_changelist"))
    assert response.status_code == 200
    assert b"Listed path" in response.content
    assert b"2 of 3 courses" in response.content


def test_editing_a_path_re_evaluates_it_in_a_task(admin_client, courses, path_template, learner, *, monkeypatch,
                                                  django_capture_on_commit_callbacks):
    """The admin's request only enqueues the re-evaluation (a whole site's learners may meet the rule; issue 19)."""
    path = make_path(path_template, courses, rule=LearningPath.RULE_AT_LEAST, required_count=3)
    for key in courses[:2]:
        LearningPathProgress.objects.create(user=learner, path=path, course_id=key, achieved_at=timezone.now())
    sent = []
    monkeypatch.setattr(scheduling, "send", lambda name, *args: sent.append((name, args)) or True)
    data = form_data(path_template, [str(key) for key in courses], rule="at_least", required_count=2,
                     name=path.name, initial=3)
    for index, row in enumerate(path.courses.order_by("pk")):
        data[f"courses-{index}-id"] = str(row.pk)
        data[f"courses-{index}-path"] = str(path.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:openedx_credly_learningpath_change", args=[path.pk]), data)

    assert response.status_code == 302, errors_of(response)
    assert sent == [(scheduling.REEVALUATE_LEARNING_PATH, (path.pk,))]
    assert not IssuedBadge.objects.exists()  # nothing awarded inside the request
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=False):
        assert tasks.reevaluate_learning_path.apply(args=[path.pk]).get() == 1
    assert IssuedBadge.objects.get(learning_path=path).user == learner


def test_the_backfill_action_runs_in_a_task(admin_client, courses, path_template, learner, monkeypatch):
    """As the milestones' backfill: the platform's records of every course are read by a worker, not the request."""
    path = make_path(path_template, courses[:1])
    standin.Certificate.objects.create(user=learner, course_id=courses[0], created_date=timezone.now(), grade="0.9",
                                       mode="verified")
    sent = []
    monkeypatch.setattr(scheduling, "send", lambda name, *args: sent.append((name, args)) or True)
    response = admin_client.post(reverse("admin:openedx_credly_learningpath_changelist"), {
        "action": "backfill_action", "_selected_action": [path.pk]}, follow=True)
    assert response.status_code == 200
    assert "the backfill runs in the background" in response.content.decode()
    assert sent == [(scheduling.BACKFILL_LEARNING_PATH, (path.pk,))]
    assert not IssuedBadge.objects.exists()
    monkeypatch.undo()
    summary = tasks.backfill_learning_path.apply(args=[path.pk]).get()
    assert (summary["progress_found"], summary["badges_queued"]) == (1, 1)


def test_the_backfill_action_with_the_broker_down_says_so(admin_client, courses, path_template, monkeypatch):
    path = make_path(path_template, courses[:1])
    monkeypatch.setattr(scheduling, "send", lambda name, *args: False)
    response = admin_client.post(reverse("admin:openedx_credly_learningpath_changelist"), {
        "action": "backfill_action", "_selected_action": [path.pk]}, follow=True)
    assert "the task queue could not be reached" in response.content.decode()
