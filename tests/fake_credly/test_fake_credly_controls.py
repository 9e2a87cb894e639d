"""Test knobs of the fake: faults, rate limit, latency, webhooks, stats, reset, concurrency, controls."""
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from fake_credly import FakeCredlyControl, FakeCredlyError

REPO_ROOT = Path(__file__).resolve().parents[2]


def new_session():
    session = requests.Session()
    session.trust_env = False
    return session


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def receiver():
    """A webhook receiver on 127.0.0.1; set ``.status`` to choose its answer."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # pylint: disable=invalid-name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"json": json.loads(body), "content_type": self.headers["Content-Type"]})
            self.send_response(server.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.status, server.received = 200, received
    server.url = f"http://127.0.0.1:{server.server_port}/credly/webhook"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


# ---------------------------------------------------------------- faults
def test_status_faults_fire_count_times_without_touching_state(fake_org):
    fake_org.state.add_faults({"status": 500, "count": 2}, {"status": 401, "count": 1})
    assert [fake_org.issue().status_code for _ in range(4)] == [500, 500, 401, 201]
    assert fake_org.state.stats()["badges_issued"] == 1
    assert fake_org.state.faults() == []


def test_429_fault_sends_retry_after(fake_org):
    fake_org.state.add_faults({"status": 429, "count": 1, "retry_after": 2})
    response = fake_org.get("badges")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2"
    assert fake_org.get("badges").status_code == 200


def test_path_and_method_narrow_a_fault(fake_org):
    fake_org.state.add_faults({"status": 503, "count": 1, "path_contains": "/badges", "method": "POST"})
    assert fake_org.get().status_code == 200
    assert fake_org.get("badges").status_code == 200
    assert fake_org.issue().status_code == 503
    assert fake_org.issue().status_code == 201


def test_timeout_fault_outlasts_the_client_and_changes_nothing(fake_org):
    fake_org.state.add_faults({"timeout": 1.0, "count": 1})
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        fake_org.issue(timeout=0.3)
    assert time.monotonic() - started < 0.9
    assert fake_org.state.all_badges() == []
    assert fake_org.issue().status_code == 201


def test_after_commit_timeout_issues_the_badge_the_client_never_hears_of(fake_org):
    fake_org.state.add_faults({"after_commit_timeout": 1.0, "count": 1, "method": "POST"})
    with pytest.raises(requests.exceptions.ReadTimeout):
        fake_org.issue(timeout=0.3)
    assert len(fake_org.state.all_badges()) == 1
    retry = fake_org.issue()
    assert retry.status_code == 422 and "already" in retry.json()["data"]["message"]
    existing = fake_org.get("badges", params={
        "filter": f"recipient_email::ada@example.com|badge_template_id::{fake_org.template_id}"}).json()
    assert existing["metadata"]["total_count"] == 1


def test_probability_fault_is_seeded_and_stays_until_cleared(fake_org):
    fake_org.state.add_faults({"status": 500, "probability": 0.2})
    codes = [fake_org.get().status_code for _ in range(100)]
    assert 8 <= codes.count(500) <= 35 and codes.count(200) == 100 - codes.count(500)
    assert len(fake_org.state.faults()) == 1
    fake_org.state.clear_faults()
    assert {fake_org.get().status_code for _ in range(10)} == {200}
    # The same seed gives the same sequence after a reset.
    fake_org.state.reset()
    org = fake_org.state.add_organization("Again", token="test-token", id=fake_org.org_id)
    assert org["id"] == fake_org.org_id
    fake_org.state.add_faults({"status": 500, "probability": 0.2})
    assert [fake_org.get().status_code for _ in range(100)] == codes


def test_bad_fault_specs_are_refused(fake_org):
    with pytest.raises(FakeCredlyError):
        fake_org.state.add_faults({"count": 3})
    with pytest.raises(FakeCredlyError):
        fake_org.state.add_faults({"status": 500, "colour": "red"})


# ---------------------------------------------------------------- rate limit and latency
def test_rate_limit_answers_429_with_retry_after_then_recovers(fake_org):
    fake_org.state.set_rate_limit(5)
    responses = [fake_org.get() for _ in range(15)]
    limited = [r for r in responses if r.status_code == 429]
    assert 5 <= 15 - len(limited) <= 8
    assert limited and all(r.headers["Retry-After"] == "1" for r in limited)
    assert fake_org.state.stats()["rate_limited"] == len(limited)
    time.sleep(1.0)
    assert fake_org.get().status_code == 200
    fake_org.state.set_rate_limit(None)
    assert {fake_org.get().status_code for _ in range(20)} == {200}


def test_latency_delays_api_answers(fake_org):
    fake_org.state.set_latency(0.15)
    started = time.monotonic()
    assert fake_org.get().status_code == 200
    assert time.monotonic() - started >= 0.15
    fake_org.state.set_latency(0)
    started = time.monotonic()
    fake_org.get()
    assert time.monotonic() - started < 0.15


# ---------------------------------------------------------------- webhooks
def test_accepting_a_badge_notifies_the_webhook(fake_org, receiver):
    fake_org.state.set_webhook(fake_org.org_id, receiver.url, event_types=["badge.state.changed"])
    badge = fake_org.issue().json()["data"]
    fake_org.state.accept_badge(badge["id"])
    assert wait_for(lambda: receiver.received)
    note = receiver.received[0]
    assert note["content_type"] == "application/json"
    assert set(note["json"]) == {"id", "organization_id", "event_type", "occurred_at"}
    assert note["json"]["event_type"] == "badge.state.changed"
    assert note["json"]["organization_id"] == fake_org.org_id
    event = fake_org.get(f"events/{note['json']['id']}").json()["data"]
    assert event["badge"]["id"] == badge["id"] and event["badge"]["state"] == "accepted"
    assert wait_for(lambda: fake_org.state.stats()["webhook_deliveries_ok"] == 1)
    assert len(receiver.received) == 1  # badge.created was filtered out by event_types
    # Credly redelivers; the same event may arrive again.
    fake_org.state.deliver_event(note["json"]["id"])
    assert wait_for(lambda: len(receiver.received) == 2)
    assert receiver.received[1]["json"] == note["json"]


def test_failed_deliveries_are_recorded_and_harmless(fake_org, receiver):
    receiver.status = 500
    fake_org.state.set_webhook(fake_org.org_id, receiver.url)
    fake_org.issue()
    assert wait_for(lambda: fake_org.state.deliveries())
    assert fake_org.state.deliveries()[0]["status"] == 500 and not fake_org.state.deliveries()[0]["ok"]
    # Nobody listening at all.
    fake_org.state.set_webhook(fake_org.org_id, "http://127.0.0.1:9/nowhere")
    fake_org.issue(recipient_email="bob@example.com")
    assert wait_for(lambda: len(fake_org.state.deliveries()) == 2)
    assert fake_org.state.deliveries()[1]["error"]
    assert fake_org.state.stats()["webhook_deliveries_failed"] == 2
    assert fake_org.get().status_code == 200
    with pytest.raises(FakeCredlyError):
        fake_org.state.set_webhook(fake_org.org_id, "https://example.com/hook")


# ---------------------------------------------------------------- web pages
def test_badge_page_accept_form_and_image(fake_org, receiver):
    fake_org.state.set_webhook(fake_org.org_id, receiver.url)
    badge = fake_org.issue().json()["data"]
    page = fake_org.http.get(badge["badge_url"])
    assert page.status_code == 200 and "Python 101" in page.text and ">pending<" in page.text
    form = fake_org.http.get(badge["accept_badge_url"])
    assert "<form method='post'>" in form.text and "Accept badge" in form.text
    accepted = fake_org.http.post(badge["accept_badge_url"])
    assert accepted.status_code == 200 and ">accepted<" in accepted.text
    assert fake_org.get(f"badges/{badge['id']}").json()["data"]["state"] == "accepted"
    assert wait_for(lambda: any(n["json"]["event_type"] == "badge.state.changed" for n in receiver.received))
    assert fake_org.http.post(badge["accept_badge_url"]).status_code == 409
    svg = fake_org.http.get(badge["image_url"])
    assert svg.headers["Content-Type"].startswith("image/svg+xml") and svg.text.startswith("<svg")
    assert fake_org.http.get(f"{fake_org.server.url}/badges/nope").status_code == 404


# ---------------------------------------------------------------- stats, log, reset
def test_stats_count_requests_statuses_and_outcomes(fake_org):
    fake_org.issue()
    fake_org.issue()
    fake_org.get("badges", headers={})
    stats = fake_org.state.stats()
    assert stats["requests_total"] == 3
    assert stats["by_route"] == {"POST badges_create": 2, "GET badges_list": 1}
    assert stats["by_status"] == {"201": 1, "422": 1, "401": 1}
    assert (stats["badges_issued"], stats["duplicates_refused"], stats["responses_401"]) == (1, 1, 1)


def test_request_log_shows_the_contract_but_no_secrets(fake_org):
    fake_org.issue()
    entry = fake_org.state.recent_requests(1)[0]
    assert (entry["method"], entry["status"]) == ("POST", 201)
    assert entry["path"] == f"/v1/organizations/{fake_org.org_id}/badges"
    assert entry["auth_scheme"] == "Basic"
    assert "Authorization" not in entry["headers"]
    assert entry["headers"]["Content-Type"] == "application/json"
    assert entry["json"]["issued_at"] == "2026-11-25 14:03:00 +0000"
    fake_org.http.post(fake_org.server.oauth_token_url, data={
        "client_id": fake_org.org["client_id"], "client_secret": fake_org.org["client_secret"],
        "grant_type": "client_credentials"})
    oauth = fake_org.state.recent_requests(1)[0]
    assert oauth["json"]["client_secret"] == "***"
    assert fake_org.org["client_secret"] not in json.dumps(fake_org.state.recent_requests(10))
    assert "test-token" not in json.dumps(fake_org.state.recent_requests(10))


def test_reset_forgets_everything(fake_org):
    fake_org.issue()
    fake_org.state.add_faults({"status": 500, "probability": 1.0})
    fake_org.state.set_latency(5)
    fake_org.server.reset()
    stats = fake_org.state.stats()
    assert (stats["requests_total"], stats["badges_stored"], stats["events"]) == (0, 0, 0)
    assert fake_org.state.faults() == [] and fake_org.state.latency == 0
    assert fake_org.get().status_code == 401  # the token is gone with its organization


# ---------------------------------------------------------------- concurrency and throughput
def test_concurrent_issues_of_one_badge_give_exactly_one_201(fake_org):
    barrier = threading.Barrier(20)

    def issue(_):
        with new_session() as session:
            barrier.wait()
            return session.post(fake_org.url("badges"), headers=fake_org.headers, timeout=10, json={
                "recipient_email": "race@example.com", "issued_to_first_name": "R", "issued_to_last_name": "C",
                "badge_template_id": fake_org.template_id, "issued_at": "2026-11-25 14:03:00 +0000"})

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(issue, range(20)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] + [422] * 19
    assert all("already" in a.json()["data"]["message"] for a in answers if a.status_code == 422)
    assert len(fake_org.state.all_badges()) == 1


def test_sustains_hundreds_of_requests_per_second(fake_org):
    local = threading.local()

    def call(number):
        if not hasattr(local, "session"):
            local.session = new_session()
        if number % 2:
            return local.session.post(
                fake_org.url("badges"), headers=fake_org.headers, timeout=10, json={
                    "recipient_email": f"l{number}@example.com", "issued_to_first_name": "L",
                    "issued_to_last_name": "N", "badge_template_id": fake_org.template_id,
                    "issued_at": "2026-11-25 14:03:00 +0000"}).status_code
        return local.session.get(fake_org.url("badges"), headers=fake_org.headers, timeout=10,
                                 params={"filter": f"recipient_email::l{number - 1}@example.com"}).status_code

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(call, range(600)))
    rate = 600 / (time.monotonic() - started)
    assert set(codes) == {200, 201}, codes
    assert fake_org.state.stats()["badges_issued"] == 300
    assert rate > 100, f"only {rate:.0f} requests/s"


# ---------------------------------------------------------------- control over HTTP, entry point
def test_control_client_drives_the_fake_over_http(fake_credly):
    control = FakeCredlyControl(fake_credly.url + "/")
    org = control.add_organization("Remote Org", token="remote-token")
    template = control.add_template(org["id"], "Remote Badge", skills=["HTTP"])
    assert template["skills"] == ["HTTP"] and template["state"] == "active"
    assert control.update_template(template["id"], state="archived")["state"] == "archived"
    assert control.all_events()[-1]["event_type"] == "badge_template.changed"
    control.add_earner("eve@example.com", auto_accept=False)
    control.add_token(org["id"], "second-token")
    control.revoke_credentials(org["id"])
    control.restore_credentials(org["id"])
    faults = control.add_faults({"status": 500, "count": 2}, {"status": 429, "retry_after": 3})
    assert [f["status"] for f in control.faults()] == [500, 429] and faults[0]["count"] == 2
    control.clear_faults()
    assert control.faults() == []
    control.set_rate_limit(100)
    control.set_rate_limit(None)
    control.set_latency(0)
    control.set_access_token_lifetime(5)
    control.advance_clock(1)
    assert fake_credly.state.access_token_lifetime == 5
    demo = control.seed_demo()
    assert control.seed_demo() == demo  # idempotent
    assert [t["state"] for t in demo["templates"]] == ["active", "active", "archived", "active", "active", "active"]
    with pytest.raises(requests.HTTPError) as error:
        control.add_template("no-such-org", "X")
    assert error.value.response.status_code == 404
    with pytest.raises(requests.HTTPError) as error:
        control.accept_badge("no-such-badge")
    assert error.value.response.status_code == 404
    assert control.stats()["requests_total"] == 0  # controls are not API traffic
    assert control.recent_requests(5) == [] and control.all_badges() == [] and control.deliveries() == []
    control.reset()
    assert fake_credly.state.stats()["events"] == 0


def test_module_entry_point_serves_and_seeds_the_demo():
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "fake_credly", "--port", "0", "--seed-demo"],
                               stdout=subprocess.PIPE, text=True, env=env, cwd=REPO_ROOT)
    try:
        lines = dict(process.stdout.readline().strip().split("=", 1) for _ in range(5))
        demo = json.loads(lines["FAKE_CREDLY_DEMO"])
        assert lines["FAKE_CREDLY_API_BASE_URL"] == lines["FAKE_CREDLY_URL"] + "/v1/"
        with new_session() as session:
            response = session.get(f"{lines['FAKE_CREDLY_API_BASE_URL']}organizations/{demo['organization_id']}",
                                   auth=(demo["token"], ""), timeout=5)
        assert response.status_code == 200 and response.json()["data"]["name"] == demo["organization_name"]
    finally:
        process.terminate()
        assert process.wait(timeout=5) == 0


def test_after_commit_drop_creates_the_badge_and_drops_the_connection(fake_credly):
    import requests  # pylint: disable=import-outside-toplevel

    org = fake_credly.state.add_organization("Drop")
    template = fake_credly.state.add_template(org["id"], "T")
    fake_credly.state.add_faults({"after_commit_drop": True, "method": "POST"})
    body = {"recipient_email": "a@example.com", "issued_to_first_name": "A", "issued_to_last_name": "B",
            "badge_template_id": template["id"], "issued_at": "2026-11-25 10:00:00 +0000"}
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{fake_credly.api_base_url}organizations/{org['id']}/badges", json=body,
                      auth=(org["token"], ""), timeout=5)
    assert [badge["issued_at"] for badge in fake_credly.state.all_badges()] == ["2026-11-25T10:00:00.000Z"]


def test_after_commit_without_id_and_redirect_faults(fake_credly):
    import requests  # pylint: disable=import-outside-toplevel

    org = fake_credly.state.add_organization("Odd answers")
    template = fake_credly.state.add_template(org["id"], "T", allow_duplicate_badges=True)
    url = f"{fake_credly.api_base_url}organizations/{org['id']}/badges"
    body = {"recipient_email": "a@example.com", "issued_to_first_name": "A", "issued_to_last_name": "B",
            "badge_template_id": template["id"], "issued_at": "2026-11-25 10:00:00 +0000"}
    fake_credly.state.add_faults({"after_commit_without_id": True},
                                 {"redirect_to": "http://127.0.0.1:9/elsewhere", "status": 307})
    answer = requests.post(url, json=body, auth=(org["token"], ""), timeout=5)
    assert answer.status_code == 201 and "id" not in answer.json()["data"]
    assert len(fake_credly.state.all_badges()) == 1  # created all the same
    redirected = requests.post(url, json=body, auth=(org["token"], ""), timeout=5, allow_redirects=False)
    assert redirected.status_code == 307 and redirected.headers["Location"] == "http://127.0.0.1:9/elsewhere"
    assert len(fake_credly.state.all_badges()) == 1  # a redirect does nothing
