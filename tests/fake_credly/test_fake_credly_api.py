"""The fake's /v1 API and OAuth endpoint against the contract in credly-api.md."""
import datetime as dt

import pytest

ISSUED_AT = "2026-11-25 14:03:00 +0000"


def test_organization_envelope_with_every_path_spelling(fake_org):
    for suffix in ("", ".json", "/"):
        response = fake_org.http.get(fake_org.url() + suffix, headers=fake_org.headers, timeout=5)
        assert response.status_code == 200, suffix
        body = response.json()
        assert body["data"]["id"] == fake_org.org_id
        assert body["data"]["name"] == "Test Org"
        assert body["metadata"] == {}


@pytest.mark.parametrize("kind", ["basic_with_colon", "basic_without_colon", "bearer"])
def test_each_credential_form_is_accepted(fake_org, kind):
    if kind == "bearer":
        grant = fake_org.http.post(fake_org.server.oauth_token_url, data={
            "client_id": fake_org.org["client_id"], "client_secret": fake_org.org["client_secret"],
            "grant_type": "client_credentials", "scope": "issued_badges badge_templates events"}).json()
        headers = {"Authorization": f"Bearer {grant['access_token']}"}
    else:
        headers = fake_org.basic("test-token", colon=kind == "basic_with_colon")
    assert fake_org.get(headers=headers).status_code == 200
    assert fake_org.state.recent_requests(1)[0]["auth_scheme"] == ("Bearer" if kind == "bearer" else "Basic")


def test_bad_credentials_answer_401_with_a_message(fake_org):
    cases = {
        "missing": {},
        "wrong token": fake_org.basic("nope"),
        "not base64": {"Authorization": "Basic !!!"},
        "unknown bearer": {"Authorization": "Bearer nope"},
        "other scheme": {"Authorization": "Token test-token"},
    }
    for name, headers in cases.items():
        response = fake_org.get("badges", headers=headers)
        assert response.status_code == 401, name
        assert response.json()["data"]["message"], name


def test_expired_token_is_refused_and_listed_with_its_expiry(fake_org):
    yesterday = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).isoformat()
    fake_org.state.add_token(fake_org.org_id, "old-token", expires_at=yesterday)
    assert fake_org.get(headers=fake_org.basic("old-token")).status_code == 401
    tokens = fake_org.get("authorization_tokens").json()
    assert tokens["metadata"]["total_count"] == 2
    expiries = sorted(dt.datetime.fromisoformat(t["expires_at"]) for t in tokens["data"])
    assert expiries[0] < dt.datetime.now(dt.timezone.utc)
    assert expiries[1] - dt.datetime.now(dt.timezone.utc) > dt.timedelta(days=179)
    # Tokens also expire with time passing on the fake's clock.
    fake_org.state.advance_clock(181 * 24 * 3600)
    assert fake_org.get().status_code == 401


def test_revoked_credentials_fail_until_restored(fake_org):
    fake_org.state.revoke_credentials(fake_org.org_id)
    assert fake_org.get().status_code == 401
    assert fake_org.http.post(fake_org.server.oauth_token_url, data={
        "client_id": fake_org.org["client_id"], "client_secret": fake_org.org["client_secret"],
        "grant_type": "client_credentials"}).status_code == 401
    fake_org.state.restore_credentials(fake_org.org_id)
    assert fake_org.get().status_code == 200


def test_other_organization_is_403_and_unknown_organization_404(fake_org):
    other = fake_org.state.add_organization("Other Org")
    response = fake_org.http.get(f"{fake_org.server.api_base_url}organizations/{other['id']}/badges",
                                 headers=fake_org.headers, timeout=5)
    assert response.status_code == 403
    assert "access" in response.json()["data"]["message"]
    response = fake_org.http.get(f"{fake_org.server.api_base_url}organizations/no-such-org", headers=fake_org.headers)
    assert response.status_code == 404


def test_oauth_token_in_form_json_or_basic_and_expiry(fake_org):
    url, org = fake_org.server.oauth_token_url, fake_org.org
    fields = {"client_id": org["client_id"], "client_secret": org["client_secret"],
              "grant_type": "client_credentials", "scope": "issued_badges"}
    by_form = fake_org.http.post(url, data=fields)
    by_json = fake_org.http.post(url, json=fields)
    by_basic = fake_org.http.post(url, data={"grant_type": "client_credentials"},
                                  auth=(org["client_id"], org["client_secret"]))
    for response in (by_form, by_json, by_basic):
        assert response.status_code == 200
        assert response.json()["token_type"] == "Bearer"
        assert response.json()["expires_in"] == 7200
    assert fake_org.http.post(url, data={**fields, "client_secret": "wrong"}).status_code == 401
    assert fake_org.http.post(url, data={**fields, "grant_type": "password"}).status_code == 400
    assert fake_org.state.stats()["oauth_tokens_issued"] == 3

    fake_org.state.set_access_token_lifetime(60)
    grant = fake_org.http.post(url, data=fields).json()
    assert grant["expires_in"] == 60
    bearer = {"Authorization": f"Bearer {grant['access_token']}"}
    assert fake_org.get(headers=bearer).status_code == 200
    fake_org.state.advance_clock(61)
    response = fake_org.get(headers=bearer)
    assert response.status_code == 401
    assert "expired" in response.json()["data"]["message"]


def test_pagination_follows_next_page_url_to_the_end(fake_org):
    for number in range(120):
        fake_org.state.issue_badge(fake_org.org_id, {
            "recipient_email": f"learner{number}@example.com", "issued_to_first_name": "L",
            "issued_to_last_name": str(number), "badge_template_id": fake_org.template_id, "issued_at": ISSUED_AT})
    url, seen, pages = fake_org.url("badges") + "?filter=state::pending", [], []
    while url:
        body = fake_org.http.get(url, headers=fake_org.headers, timeout=5).json()
        meta = body["metadata"]
        pages.append((meta["current_page"], meta["count"], meta["previous_page_url"] is None))
        assert meta["total_count"] == 120 and meta["total_pages"] == 3 and meta["per"] == 50
        assert meta["count"] == len(body["data"])
        seen += [badge["id"] for badge in body["data"]]
        url = meta["next_page_url"]
        assert url is None or (url.startswith(fake_org.server.url) and "filter=state" in url)
    assert pages == [(1, 50, True), (2, 50, False), (3, 20, False)]
    assert len(set(seen)) == 120
    # "per" is capped at 50 and honoured below it.
    assert fake_org.get("badges", params={"per": 500}).json()["metadata"]["count"] == 50
    small = fake_org.get("badges", params={"per": 7, "page": 2}).json()["metadata"]
    assert (small["count"], small["total_pages"], small["current_page"]) == (7, 18, 2)
    beyond = fake_org.get("badges", params={"page": 9}).json()
    assert beyond["data"] == [] and beyond["metadata"]["next_page_url"] is None


def test_template_list_filters_pages_and_show(fake_org):
    for number in range(54):
        fake_org.state.add_template(fake_org.org_id, f"Course {number}", state="active" if number % 2 else "archived")
    everything = fake_org.get("badge_templates").json()["metadata"]
    assert (everything["total_count"], everything["total_pages"]) == (55, 2)
    active = fake_org.get("badge_templates", params={"filter": "state::active"}).json()
    assert active["metadata"]["total_count"] == 28
    assert {t["state"] for t in active["data"]} == {"active"}
    named = fake_org.get("badge_templates", params={"filter": "state::active|name::python"}).json()
    assert [t["id"] for t in named["data"]] == [fake_org.template_id]
    one = fake_org.get(f"badge_templates/{fake_org.template_id}").json()["data"]
    for key in ("id", "name", "description", "image_url", "state", "allow_duplicate_badges", "url",
                "vanity_slug", "created_at", "updated_at", "skills"):
        assert key in one, key
    assert fake_org.http.get(one["image_url"]).headers["Content-Type"].startswith("image/svg+xml")
    assert fake_org.get("badge_templates/nope").status_code == 404
    assert fake_org.get("badge_templates", params={"filter": "colour::red"}).status_code == 422


def test_issued_badge_carries_the_contract_fields(fake_org):
    response = fake_org.issue(issuer_earner_id="42", evidence=[
        {"type": "UrlEvidence", "name": "Certificate", "value": "http://lms/cert/1", "description": "x"}])
    assert response.status_code == 201
    badge = response.json()["data"]
    assert badge["state"] == "pending"
    assert badge["issued_at"] == "2026-11-25T14:03:00.000Z"  # ISO 8601 with milliseconds, as Credly answers
    assert badge["issued_to"] == "Ada Lovelace"
    assert (badge["recipient_email"], badge["issuer_earner_id"]) == ("ada@example.com", "42")
    assert badge["accept_badge_url"] == f"{fake_org.server.url}/earner/badges/{badge['id']}/accept"
    assert badge["badge_url"] == f"{fake_org.server.url}/badges/{badge['id']}"
    assert badge["badge_template"]["id"] == fake_org.template_id
    assert badge["image"]["url"] == badge["image_url"]
    assert badge["revoked_at"] is None and badge["revocation_reason"] is None
    for key in ("state_updated_at", "expires_at", "user", "issuer"):
        assert key in badge
    assert fake_org.get(f"badges/{badge['id']}").json()["data"] == badge
    assert fake_org.get("badges/nope").status_code == 404


def test_auto_accept_earner_gets_an_accepted_badge(fake_org):
    fake_org.state.add_earner("grace@example.com", auto_accept=True)
    badge = fake_org.issue(recipient_email="grace@example.com").json()["data"]
    assert badge["state"] == "accepted"
    assert badge["accept_badge_url"] is None


@pytest.mark.parametrize("overrides, fragment", [
    ({"recipient_email": None}, "recipient_email"),
    ({"issued_to_first_name": ""}, "issued_to_first_name"),
    ({"issued_to_last_name": "  "}, "issued_to_last_name"),
    ({"badge_template_id": None}, "badge_template_id"),
    ({"issued_at": None}, "issued_at"),
    ({"issued_at": "2026-11-25T14:03:00Z"}, "issued_at"),
    ({"issued_at": "2026-11-25 14:03:00"}, "issued_at"),
    ({"issued_at": "2026-11-25 14:03:00 +00:00"}, "issued_at"),
    ({"issued_at": "2026-13-25 14:03:00 +0000"}, "issued_at"),
    ({"recipient_email": "not-an-email"}, "recipient_email"),
    ({"locale": "xx"}, "locale"),
    ({"evidence": [{"name": "no type"}]}, "evidence"),
    ({"badge_template_id": "no-such-template"}, "Badge template not found"),
])
def test_invalid_issue_requests_answer_422(fake_org, overrides, fragment):
    response = fake_org.issue(**overrides)
    assert response.status_code == 422
    assert fragment in response.json()["data"]["message"]
    assert fake_org.state.stats()["badges_issued"] == 0


def test_archived_template_and_non_json_body_are_refused(fake_org):
    fake_org.state.update_template(fake_org.template_id, state="archived")
    response = fake_org.issue()
    assert response.status_code == 422 and "not active" in response.json()["data"]["message"]
    form = fake_org.post("badges", data={"recipient_email": "ada@example.com"})
    assert form.status_code == 422 and "JSON" in form.json()["data"]["message"]


def test_duplicates_by_email_by_earner_id_and_by_person(fake_org):
    assert fake_org.issue(issuer_earner_id="7").status_code == 201
    for overrides in ({}, {"recipient_email": "ADA@example.com"},
                      {"recipient_email": "ada.new@example.com", "issuer_earner_id": "7"}):
        response = fake_org.issue(**overrides)
        assert response.status_code == 422, overrides
        assert "already" in response.json()["data"]["message"].lower()
    # Every email of one Credly user counts as that user.
    fake_org.state.add_earner("alan@example.com", auto_accept=False, other_emails=["alan@work.example.com"])
    assert fake_org.issue(recipient_email="alan@work.example.com").status_code == 201
    assert fake_org.issue(recipient_email="alan@example.com").status_code == 422
    # Another template is another badge; a template may allow duplicates.
    lenient = fake_org.state.add_template(fake_org.org_id, "Attendance", allow_duplicate_badges=True)
    assert fake_org.issue(badge_template_id=lenient["id"]).status_code == 201
    assert fake_org.issue(badge_template_id=lenient["id"]).status_code == 201
    assert fake_org.state.stats()["duplicates_refused"] == 4


def test_revoke_then_issue_again(fake_org):
    badge = fake_org.issue(issuer_earner_id="7").json()["data"]
    assert fake_org.put(f"badges/{badge['id']}/revoke", json={}).status_code == 422
    response = fake_org.put(f"badges/{badge['id']}/revoke",
                            json={"reason": "Certificate invalidated", "suppress_revoke_notification_email": False})
    assert response.status_code == 200
    revoked = response.json()["data"]
    assert revoked["state"] == "revoked"
    assert revoked["revocation_reason"] == "Certificate invalidated"
    assert revoked["revoked_at"] is not None
    assert fake_org.put(f"badges/{badge['id']}/revoke", json={"reason": "again"}).status_code == 422
    assert fake_org.put("badges/nope/revoke", json={"reason": "x"}).status_code == 404
    # A revoked badge no longer blocks a new one.
    assert fake_org.issue(issuer_earner_id="7").status_code == 201
    events = [e["event_type"] for e in fake_org.state.all_events() if e.get("badge", {}).get("id") == badge["id"]]
    assert events == ["badge.created", "badge.state.changed"]


def test_badge_list_filters_and_sort(fake_org):
    other = fake_org.state.add_template(fake_org.org_id, "Data 201")
    fake_org.state.add_earner("bob@example.com", auto_accept=False, other_emails=["bob@home.example.com"])
    ids = {}
    for name, email, template, earned, earner_id in [
        ("a", "ada@example.com", fake_org.template_id, "2026-01-01 10:00:00 +0000", "1"),
        ("b", "ada@example.com", other["id"], "2026-03-01 10:00:00 +0000", "1"),
        ("c", "bob@example.com", fake_org.template_id, "2026-02-01 10:00:00 +0000", "2"),
        ("d", "bob@home.example.com", other["id"], "2026-04-01 10:00:00 +0100", None),
    ]:
        ids[name] = fake_org.issue(recipient_email=email, badge_template_id=template, issued_at=earned,
                                   issuer_earner_id=earner_id).json()["data"]["id"]
    fake_org.state.accept_badge(ids["c"])

    def listed(filter_, sort=None):
        params = {"filter": filter_, **({"sort": sort} if sort else {})}
        response = fake_org.get("badges", params=params)
        assert response.status_code == 200, response.text
        return [next(k for k, v in ids.items() if v == b["id"]) for b in response.json()["data"]]

    assert listed("recipient_email::ADA@example.com") == ["a", "b"]
    assert listed(f"recipient_email::ada@example.com|badge_template_id::{other['id']}") == ["b"]
    assert listed("recipient_email_all::bob@example.com") == ["c", "d"]
    assert listed(f"badge_template_id::{fake_org.template_id}") == ["a", "c"]
    assert listed("state::pending,rejected") == ["a", "b", "d"]
    assert listed("state::accepted") == ["c"]
    assert listed("issuer_earner_id::1") == ["a", "b"]
    assert listed("issued_at_min::2026-02-01 10:00:00 +0000") == ["b", "c", "d"]
    assert listed("", sort="-issued_at") == ["d", "b", "c", "a"]
    assert listed("", sort="issued_at") == ["a", "c", "b", "d"]
    assert fake_org.get("badges", params={"filter": "recipent_email::typo@example.com"}).status_code == 422


def test_events_render_badges_and_templates(fake_org):
    badge = fake_org.issue().json()["data"]
    fake_org.state.accept_badge(badge["id"])
    fake_org.state.update_template(fake_org.template_id, description="new text")
    events = {e["event_type"]: e["id"] for e in fake_org.state.all_events()}
    changed = fake_org.get(f"events/{events['badge.state.changed']}").json()["data"]
    assert changed["organization_id"] == fake_org.org_id and changed["occurred_at"]
    assert changed["badge"]["id"] == badge["id"] and changed["badge"]["state"] == "accepted"
    template_event = fake_org.get(f"events/{events['badge_template.changed']}").json()["data"]
    assert template_event["badge_template"]["description"] == "new text"
    assert "badge" not in template_event
    assert fake_org.get("events/no-such-event").status_code == 404
    other = fake_org.state.add_organization("Other Org")
    other_template = fake_org.state.add_template(other["id"], "Theirs")
    other_event = next(e["id"] for e in fake_org.state.all_events()
                       if e.get("badge_template", {}).get("id") == other_template["id"])
    assert fake_org.get(f"events/{other_event}").status_code == 404


def test_unknown_api_path_and_method(fake_org):
    assert fake_org.get("nothing-here").status_code == 404
    assert fake_org.http.delete(fake_org.url("badges"), headers=fake_org.headers).status_code == 405
