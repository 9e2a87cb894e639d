"""What a newcomer meets in the demo: no dead links, a learner without badges, one demo per state directory."""
import fcntl
import re

from django.test import RequestFactory

from demo import views
from tests.integration.test_demo import run_demo


def test_no_serve_prints_no_link_that_dies_with_it(tmp_path):
    result = run_demo(tmp_path, "--port", "8123")
    assert result.returncode == 0, result.stdout + result.stderr
    look_around = result.stdout.split("Look around", 1)[1]
    assert "/_fake/badges" not in look_around and "accept on Credly" not in look_around
    assert "the accept URLs above no longer answer" in look_around
    assert "http://127.0.0.1:8123/  (every page and login below)" in look_around
    assert "(grace / demo-learner)" in look_around
    assert "Grace Hopper (grace), earns nothing" in result.stdout


def test_a_second_demo_refuses_the_state_directory_of_a_running_one(tmp_path):
    with open(tmp_path / "demo.lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        lock.write("The demo of process 4242, serving http://127.0.0.1:8001/,")
        lock.flush()
        result = run_demo(tmp_path)
    assert result.returncode == 1
    assert re.search(r"FAILED  The demo of process 4242, serving http://127\.0\.0\.1:8001/, is using \S+\. "
                     r"Stop it", result.stdout), result.stdout
    assert not (tmp_path / "demo.sqlite3").exists()  # nothing of the running demo was touched
    assert run_demo(tmp_path).returncode == 0  # once it stopped, the directory is free again


def test_the_index_lists_the_pages_and_logins(monkeypatch):
    monkeypatch.setattr(views, "LINKS", [("The admin", "/admin/", "admin / demo-admin", "the <admin>")])
    page = views.index(RequestFactory().get("/")).content.decode()
    assert '<a href="/admin/">The admin</a>' in page
    assert "<code>admin / demo-admin</code>" in page and "the &lt;admin&gt;" in page
