"""The demo's widgets page: both widgets' bundles for the signed-in learner, or a plain word that Node.js is missing."""
import json

import pytest

from demo import views

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_site")]


@pytest.fixture(name="demo_site")
def fixture_demo_site(settings, monkeypatch):
    settings.ROOT_URLCONF = "demo.urls"
    monkeypatch.setattr(views, "WIDGET_COURSES", [("course-v1:DemoX+PY101+2026", "Python Fundamentals"),
                                                  ("course-v1:DemoX+DATA201+2026", "Data Analysis with Python")])


def test_the_page_is_for_a_signed_in_learner(client):
    response = client.get("/widgets/")
    assert response.status_code == 302
    assert "next=/widgets/" in response["Location"]


def test_both_bundles_and_the_learners_courses(client, learner, tmp_path, monkeypatch):
    files = {name: tmp_path / name for name in views.WIDGET_FILES}
    for path in files.values():
        path.write_text("/* built */")
    monkeypatch.setattr(views, "WIDGET_FILES", files)
    client.force_login(learner)

    html = client.get("/widgets/").content.decode()

    assert '<script src="/widgets/static/bundle.js"></script>' in html
    assert '<script src="/widgets/static/course-bundle.js"></script>' in html
    assert 'id="slot"' in html and 'id="root"' in html
    page = json.loads(html.split("window.CREDLY_TEST_PAGE = ", 1)[1].split(";</script>", 1)[0])
    assert page["user"] == {"username": "ada"}
    assert [course["id"] for course in page["courses"]] == ["course-v1:DemoX+PY101+2026",
                                                            "course-v1:DemoX+DATA201+2026"]
    assert client.get("/widgets/static/course-bundle.js").status_code == 200
    assert client.get("/widgets/static/secrets.py").status_code == 404


def test_without_node_the_page_says_so(client, learner, tmp_path, monkeypatch):
    monkeypatch.setattr(views, "WIDGET_FILES", {name: tmp_path / name for name in views.WIDGET_FILES})
    client.force_login(learner)
    response = client.get("/widgets/")
    assert response.status_code == 200
    assert "Node.js" in response.content.decode()
    assert "bundle.js" not in response.content.decode()
