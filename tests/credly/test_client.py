"""
Unit tests of ``openedx_credly.credly.client`` against ``responses`` mocks.

No test reaches the network: ``responses`` refuses every URL not registered, and the
``rsps`` fixture fails a test in which that happened (the client would otherwise
turn the refusal into an ordinary ``CredlyConnectionError``).
"""
import base64
import email.utils
import json
import logging
import pickle
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from responses import matchers

from openedx_credly.credly import (
    CredlyAuthenticationError,
    CredlyClient,
    CredlyConnectionError,
    CredlyCredentialError,
    CredlyDuplicateBadgeError,
    CredlyError,
    CredlyNotFoundError,
    CredlyPermissionError,
    CredlyRateLimitError,
    CredlyResponseError,
    CredlyServerError,
    CredlyTransientError,
    CredlyValidationError,
    OAuthClientCredentials,
    TokenAuth,
)
from openedx_credly.credly import client as client_module
from openedx_credly.credly import encode_filters, get_session, parse_retry_after

BASE = "https://api.credly.test/v1/"
ORG = "org-1"
ORG_URL = f"{BASE}organizations/{ORG}"
TOKEN_URL = "https://www.credly.test/oauth/token"

# Distinctive values, so that a leak is found by a plain substring search.
TOKEN = "tok-SECRET-4f2a9c"
CLIENT_ID = "client-id-31"
CLIENT_SECRET = "cs-SECRET-9b1c77"
ACCESS_TOKEN = "at-SECRET-77e0d1"
EMAIL = "ada@example.com"


def _basic(token):
    return "Basic " + base64.b64encode(f"{token}:".encode()).decode()


SECRETS = (TOKEN, CLIENT_SECRET, ACCESS_TOKEN, _basic(TOKEN).split()[1])


def make_client(auth=None, **kwargs):
    return CredlyClient(
        api_base_url=kwargs.pop("api_base_url", BASE),
        organization_id=kwargs.pop("organization_id", ORG),
        auth=auth or TokenAuth(TOKEN),
        **kwargs,
    )


def make_oauth(**kwargs):
    return OAuthClientCredentials(TOKEN_URL, CLIENT_ID, CLIENT_SECRET, **kwargs)


def add_token(rsps, access_token=ACCESS_TOKEN, expires_in=7200):
    rsps.add(
        responses.POST,
        TOKEN_URL,
        json={"access_token": access_token, "token_type": "Bearer", "expires_in": expires_in},
    )


def page(items, **metadata):
    return {"data": items, "metadata": metadata}


# --------------------------------------------------------------- requests sent


def test_token_auth_sends_basic_header_accept_and_timeout(rsps):
    rsps.add(responses.GET, ORG_URL, json={"data": {"id": ORG, "name": "Acme"}})

    organization = make_client(TokenAuth("tok"), timeout=7).get_organization()

    assert organization == {"id": ORG, "name": "Acme"}
    request = rsps.calls[0].request
    assert request.url == ORG_URL
    assert request.headers["Authorization"] == "Basic dG9rOg=="  # base64("tok:")
    assert request.headers["Accept"] == "application/json"
    assert request.req_kwargs["timeout"] == 7


@pytest.mark.parametrize(
    "call, url",
    [
        (lambda c: c.get_badge_template("tpl-1"), f"{ORG_URL}/badge_templates/tpl-1"),
        (lambda c: c.get_badge("b-1"), f"{ORG_URL}/badges/b-1"),
        (lambda c: c.get_event("ev-1"), f"{ORG_URL}/events/ev-1"),
    ],
)
def test_get_one_object_urls_return_data(rsps, call, url):
    rsps.add(responses.GET, url, json={"data": {"id": "x"}, "metadata": {}})

    assert call(make_client()) == {"id": "x"}
    assert rsps.calls[0].request.url == url


def test_api_base_url_without_trailing_slash_keeps_its_version_segment(rsps):
    rsps.add(responses.GET, ORG_URL, json={"data": {"id": ORG}})

    make_client(api_base_url=BASE.rstrip("/")).get_organization()

    assert rsps.calls[0].request.url == ORG_URL


@pytest.mark.parametrize("bad_base", ["", "api.credly.com/v1/", "ftp://api.credly.test/v1/", "https://x/v1/?a=1"])
def test_invalid_api_base_url_is_refused(bad_base):
    with pytest.raises(ValueError):
        make_client(api_base_url=bad_base)


@pytest.mark.parametrize("status", [201, 200])
def test_issue_badge_posts_json_and_returns_data(rsps, status):
    payload = {
        "recipient_email": EMAIL,
        "issued_to_first_name": "Ada",
        "issued_to_last_name": "Lovelace",
        "badge_template_id": "tpl-1",
        "issued_at": "2026-11-25 14:03:00 +0000",
    }
    rsps.add(
        responses.POST,
        f"{ORG_URL}/badges",
        status=status,
        json={"data": {"id": "b-1", "state": "pending"}, "metadata": {}},
        match=[matchers.json_params_matcher(payload)],
    )

    badge = make_client().issue_badge(payload)

    assert badge == {"id": "b-1", "state": "pending"}
    request = rsps.calls[0].request
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Accept"] == "application/json"


def test_issue_badge_requires_a_mapping():
    with pytest.raises(TypeError):
        make_client().issue_badge([("recipient_email", EMAIL)])


@pytest.mark.parametrize("suppress", [False, True])
def test_revoke_badge_puts_reason_and_notification_flag(rsps, suppress):
    rsps.add(
        responses.PUT,
        f"{ORG_URL}/badges/b-1/revoke",
        json={"data": {"id": "b-1", "state": "revoked", "revocation_reason": "fraud"}},
        match=[matchers.json_params_matcher({"reason": "fraud", "suppress_revoke_notification_email": suppress})],
    )

    badge = make_client().revoke_badge("b-1", reason="fraud", suppress_notification=suppress)

    assert badge["state"] == "revoked"
    assert rsps.calls[0].request.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_revoke_badge_requires_a_reason(reason):
    with pytest.raises(ValueError):
        make_client().revoke_badge("b-1", reason=reason)


def test_list_authorization_tokens_returns_a_list(rsps):
    tokens = [{"id": "t1", "expires_at": "2027-01-01T00:00:00Z"}]
    rsps.add(responses.GET, f"{ORG_URL}/authorization_tokens", json=page(tokens, next_page_url=None))

    assert make_client().list_authorization_tokens() == tokens
    assert rsps.calls[0].request.url == f"{ORG_URL}/authorization_tokens?per=50&page=1"


def test_iter_badge_templates_query_without_and_with_filter(rsps):
    rsps.add(responses.GET, f"{ORG_URL}/badge_templates", json=page([{"id": "t1"}], next_page_url=None))
    rsps.add(responses.GET, f"{ORG_URL}/badge_templates", json=page([{"id": "t2"}], next_page_url=None))
    client = make_client()

    assert list(client.iter_badge_templates()) == [{"id": "t1"}]
    assert list(client.iter_badge_templates(filters={"state": "active"})) == [{"id": "t2"}]

    assert rsps.calls[0].request.url == f"{ORG_URL}/badge_templates?per=50&page=1"
    assert rsps.calls[1].request.url == f"{ORG_URL}/badge_templates?filter=state%3A%3Aactive&per=50&page=1"


def test_iter_badges_encodes_filters_and_sort(rsps):
    rsps.add(responses.GET, f"{ORG_URL}/badges", json=page([{"id": "b1"}], next_page_url=None))

    badges = list(
        make_client().iter_badges(
            filters={"recipient_email": EMAIL, "state": ["pending", "accepted"], "badge_template_id": "tpl-1"},
            sort="-issued_at",
        )
    )

    assert badges == [{"id": "b1"}]
    url = rsps.calls[0].request.url
    assert url == (
        f"{ORG_URL}/badges?filter=recipient_email%3A%3Aada%40example.com%7Cstate%3A%3Apending%2Caccepted"
        "%7Cbadge_template_id%3A%3Atpl-1&sort=-issued_at&per=50&page=1"
    )
    assert parse_qs(urlsplit(url).query)["filter"] == [
        "recipient_email::ada@example.com|state::pending,accepted|badge_template_id::tpl-1"
    ]


# ------------------------------------------------------------------- filters


@pytest.mark.parametrize(
    "filters, expected",
    [
        (None, ""),
        ({}, ""),
        ({"state": "active"}, "state::active"),
        (
            {"recipient_email": EMAIL, "state": ["pending", "accepted"]},
            f"recipient_email::{EMAIL}|state::pending,accepted",
        ),
        ({"state": ("pending",)}, "state::pending"),
        ({"state": {"pending", "accepted"}}, "state::accepted,pending"),  # sets are sorted
        ({"allow_duplicate_badges": True, "x": False}, "allow_duplicate_badges::true|x::false"),
        ({"issued_at_min": "2026-01-01", "skip": None}, "issued_at_min::2026-01-01"),
        ({"issuer_earner_id": 42}, "issuer_earner_id::42"),
    ],
)
def test_encode_filters(filters, expected):
    assert encode_filters(filters) == expected


@pytest.mark.parametrize(
    "filters",
    [
        {"recipient_email": "a@b.com|state::revoked"},  # would smuggle in a second filter
        {"state": ["pending", "accepted,revoked"]},  # comma inside one list element
        {"state": []},
        {"recipient_email": ""},  # would match every badge
        {"recipient_email": "  "},
        {"bad:key": "x"},
        {"bad|key": "x"},
        {"": "x"},
    ],
)
def test_encode_filters_refuses_values_that_change_the_filter(filters):
    with pytest.raises(ValueError):
        encode_filters(filters)


# ------------------------------------------------------------------ quoting


@pytest.mark.parametrize(
    "badge_id, quoted",
    [
        ("../x", "..%2Fx"),
        ("../../organizations/other-org", "..%2F..%2Forganizations%2Fother-org"),
        ("a/b?c=1#d", "a%2Fb%3Fc%3D1%23d"),
        ("with space", "with%20space"),
        ("%2e%2e", "%252e%252e"),
    ],
)
def test_ids_are_quoted_into_one_path_segment(rsps, badge_id, quoted):
    expected_url = f"{ORG_URL}/badges/{quoted}"
    rsps.add(responses.GET, expected_url, json={"data": {"id": "x"}})

    make_client().get_badge(badge_id)

    url = rsps.calls[0].request.url
    assert url == expected_url
    assert urlsplit(url).path.split("/")[-2:] == ["badges", quoted]


@pytest.mark.parametrize("bad_id", ["", " ", ".", "..", None])
def test_ids_that_quoting_cannot_make_safe_are_refused(rsps, bad_id):
    with pytest.raises(ValueError):
        make_client().get_badge(bad_id)
    assert not rsps.calls


def test_organization_id_is_quoted_and_validated(rsps):
    rsps.add(responses.GET, f"{BASE}organizations/a%2F..%2Fb", json={"data": {"id": "x"}})

    make_client(organization_id="a/../b").get_organization()

    assert rsps.calls[0].request.url == f"{BASE}organizations/a%2F..%2Fb"
    with pytest.raises(ValueError):
        make_client(organization_id="..")


# --------------------------------------------------------------- pagination


def test_pagination_follows_next_page_url_over_three_pages(rsps):
    url = f"{ORG_URL}/badge_templates"
    page2 = f"{url}?filter=state%3A%3Aactive&page=2&per=50"
    page3 = f"{url}?filter=state%3A%3Aactive&page=3&per=50"
    rsps.add(responses.GET, f"{url}?filter=state%3A%3Aactive&per=50&page=1",
             json=page([{"id": 1}, {"id": 2}], current_page=1, total_pages=3, next_page_url=page2))
    rsps.add(responses.GET, page2, json=page([{"id": 3}], current_page=2, total_pages=3, next_page_url=page3))
    rsps.add(responses.GET, page3, json=page([{"id": 4}], current_page=3, total_pages=3, next_page_url=None))

    items = list(make_client().iter_badge_templates(filters={"state": "active"}))

    assert [item["id"] for item in items] == [1, 2, 3, 4]
    assert [call.request.url for call in rsps.calls][1:] == [page2, page3]


def test_pagination_accepts_a_relative_next_page_url(rsps):
    url = f"{ORG_URL}/badges"
    rsps.add(responses.GET, url, match=[matchers.query_param_matcher({"per": 50, "page": 1})],
             json=page([{"id": 1}], next_page_url=f"/v1/organizations/{ORG}/badges?page=2&per=50"))
    rsps.add(responses.GET, f"{url}?page=2&per=50", json=page([{"id": 2}], next_page_url=None))

    assert [item["id"] for item in make_client().iter_badges()] == [1, 2]


def test_pagination_by_total_pages_when_next_page_url_is_absent(rsps):
    url = f"{ORG_URL}/badges"
    for number in (1, 2, 3):
        rsps.add(
            responses.GET,
            url,
            match=[matchers.query_param_matcher({"filter": "state::pending", "per": 50, "page": number})],
            json=page([{"id": number}], current_page=number, total_pages=3, per=50),
        )

    items = list(make_client().iter_badges(filters={"state": "pending"}))

    assert [item["id"] for item in items] == [1, 2, 3]
    assert len(rsps.calls) == 3


def test_pagination_stops_on_null_next_page_url_even_if_total_pages_says_more(rsps):
    rsps.add(responses.GET, f"{ORG_URL}/badges",
             json=page([{"id": 1}], current_page=1, total_pages=5, next_page_url=None))

    assert [item["id"] for item in make_client().iter_badges()] == [1]
    assert len(rsps.calls) == 1


def test_pagination_stops_without_any_paging_metadata(rsps):
    rsps.add(responses.GET, f"{ORG_URL}/badges", json={"data": [{"id": 1}]})

    assert list(make_client().iter_badges()) == [{"id": 1}]


def test_pagination_guard_against_the_same_next_url_forever(rsps):
    url = f"{ORG_URL}/badges"
    looping = f"{url}?page=2&per=50"
    rsps.add(responses.GET, f"{url}?per=50&page=1", json=page([{"id": 1}], next_page_url=looping))
    rsps.add(responses.GET, looping, json=page([{"id": 2}], next_page_url=looping))

    iterator = make_client().iter_badges()
    seen = []
    with pytest.raises(CredlyResponseError, match="already read"):
        for item in iterator:
            seen.append(item["id"])

    assert seen == [1, 2]
    assert len(rsps.calls) == 2


def test_pagination_guard_bounds_the_number_of_pages(rsps):
    """A server that invents a new next URL every time is stopped at ``max_pages``."""
    url = f"{ORG_URL}/badges"
    counter = {"page": 0}

    def endless(request):
        counter["page"] += 1
        next_url = f"{url}?page={counter['page'] + 1}&per=50"
        return 200, {}, json.dumps(page([{"id": counter["page"]}], next_page_url=next_url))

    rsps.add_callback(responses.GET, url, callback=endless)
    client = make_client()
    client.max_pages = 5

    with pytest.raises(CredlyResponseError, match="exceeded 5 pages"):
        list(client.iter_badges())
    assert len(rsps.calls) == 5


def test_default_page_bound_is_ten_thousand():
    assert CredlyClient.max_pages == 10_000


def test_pagination_never_follows_next_page_url_to_another_host(rsps, caplog):
    url = f"{ORG_URL}/badges"
    rsps.add(responses.GET, url, match=[matchers.query_param_matcher({"per": 50, "page": 1})],
             json=page([{"id": 1}], current_page=1, total_pages=2,
                       next_page_url="https://evil.test/v1/organizations/org-1/badges?page=2"))
    rsps.add(responses.GET, url, match=[matchers.query_param_matcher({"per": 50, "page": 2})],
             json=page([{"id": 2}], current_page=2, total_pages=2, next_page_url=None))

    with caplog.at_level(logging.WARNING, logger="openedx_credly.credly"):
        items = list(make_client().iter_badges())

    assert [item["id"] for item in items] == [1, 2]
    assert all(urlsplit(call.request.url).netloc == "api.credly.test" for call in rsps.calls)
    assert "outside the API base" in caplog.text


def test_foreign_next_page_url_without_total_pages_is_an_error(rsps):
    rsps.add(responses.GET, f"{ORG_URL}/badges",
             json=page([{"id": 1}], next_page_url="https://evil.test/v1/organizations/org-1/badges?page=2"))

    with pytest.raises(CredlyResponseError, match="cannot be followed"):
        list(make_client().iter_badges())
    assert len(rsps.calls) == 1


def test_list_call_with_non_list_data_is_a_response_error(rsps):
    rsps.add(responses.GET, f"{ORG_URL}/badges", json={"data": {"id": 1}})

    with pytest.raises(CredlyResponseError):
        list(make_client().iter_badges())


def test_object_call_with_non_object_data_is_a_response_error(rsps):
    rsps.add(responses.GET, f"{ORG_URL}/badges/b-1", json={"data": [1, 2]})

    with pytest.raises(CredlyResponseError):
        make_client().get_badge("b-1")


# ---------------------------------------------------------------- error table


def _message_body(message):
    return {"data": {"message": message}, "metadata": {}}


@pytest.mark.parametrize(
    "status, body, expected_class, expected_message",
    [
        (401, _message_body("Unauthorized"), CredlyAuthenticationError, "Unauthorized"),
        (403, _message_body("Forbidden"), CredlyPermissionError, "Forbidden"),
        (404, _message_body("Not found"), CredlyNotFoundError, "Not found"),
        (422, _message_body("Ada ALREADY has this badge"), CredlyDuplicateBadgeError, "Ada ALREADY has this badge"),
        (422, {"data": {"message": "Validation failed"}, "errors": ["User already has this badge"]},
         CredlyDuplicateBadgeError, "Validation failed"),
        (422, _message_body("Badge template is archived"), CredlyValidationError, "Badge template is archived"),
        (400, _message_body("Bad request"), CredlyValidationError, "Bad request"),
        (409, None, CredlyValidationError, "Credly answered HTTP 409"),
        (500, _message_body("Internal error"), CredlyServerError, "Internal error"),
        (502, None, CredlyServerError, "Credly answered HTTP 502"),
        (503, {"message": "Down for maintenance"}, CredlyServerError, "Down for maintenance"),
    ],
)
def test_error_statuses_map_to_their_exception(rsps, status, body, expected_class, expected_message):
    if body is None:
        rsps.add(responses.GET, ORG_URL, status=status, body="<html>Bad Gateway</html>")
    else:
        rsps.add(responses.GET, ORG_URL, status=status, json=body)

    with pytest.raises(expected_class) as caught:
        make_client().get_organization()

    error = caught.value
    assert type(error) is expected_class  # pylint: disable=unidiomatic-typecheck
    assert error.status_code == status
    assert error.message == expected_message
    assert error.response_data == body
    assert str(error) == f"HTTP {status}: {expected_message}"


def test_422_without_already_is_not_a_duplicate(rsps):
    rsps.add(responses.POST, f"{ORG_URL}/badges", status=422, json=_message_body("Recipient email is invalid"))

    with pytest.raises(CredlyValidationError) as caught:
        make_client().issue_badge({"recipient_email": "x"})
    assert not isinstance(caught.value, CredlyDuplicateBadgeError)


def test_only_422_can_be_a_duplicate(rsps):
    rsps.add(responses.GET, ORG_URL, status=400, json=_message_body("already done"))

    with pytest.raises(CredlyValidationError) as caught:
        make_client().get_organization()
    assert not isinstance(caught.value, CredlyDuplicateBadgeError)


@pytest.mark.parametrize(
    "body, expected",
    [
        ({"errors": ["first", "second"]}, "first; second"),
        ({"errors": {"recipient_email": ["is invalid"], "issued_at": "is missing"}},
         "recipient_email: is invalid; issued_at: is missing"),
        ({"errors": [{"field": "issued_at", "message": "bad"}]}, "field: issued_at; message: bad"),
        ({"message": "top level"}, "top level"),
        ({"data": {"message": ""}, "errors": ["from errors"]}, "from errors"),
        ({"data": "not a dict"}, "Credly answered HTTP 400"),
        ([], "Credly answered HTTP 400"),
    ],
)
def test_error_message_extraction(rsps, body, expected):
    rsps.add(responses.GET, ORG_URL, status=400, json=body)

    with pytest.raises(CredlyValidationError) as caught:
        make_client().get_organization()
    assert caught.value.message == expected


def test_long_error_messages_are_truncated(rsps):
    rsps.add(responses.GET, ORG_URL, status=422, json=_message_body("x" * 5000 + "\nsecond line"))

    with pytest.raises(CredlyValidationError) as caught:
        make_client().get_organization()
    assert len(caught.value.message) == 500
    assert caught.value.message.endswith("…")
    assert "\n" not in caught.value.message


def test_429_with_retry_after_seconds(rsps):
    rsps.add(responses.GET, ORG_URL, status=429, json=_message_body("Slow down"), headers={"Retry-After": "30"})

    with pytest.raises(CredlyRateLimitError) as caught:
        make_client().get_organization()
    assert caught.value.retry_after == 30.0
    assert caught.value.status_code == 429
    assert caught.value.message == "Slow down"


def test_429_with_retry_after_http_date(rsps):
    when = email.utils.formatdate(time.time() + 120, usegmt=True)
    rsps.add(responses.GET, ORG_URL, status=429, body="", headers={"Retry-After": when})

    with pytest.raises(CredlyRateLimitError) as caught:
        make_client().get_organization()
    assert 115 <= caught.value.retry_after <= 120


def test_429_without_retry_after(rsps):
    rsps.add(responses.GET, ORG_URL, status=429, json=_message_body("Too many"))

    with pytest.raises(CredlyRateLimitError) as caught:
        make_client().get_organization()
    assert caught.value.retry_after is None
    assert not isinstance(caught.value, CredlyTransientError)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("30", 30.0),
        (" 1.5 ", 1.5),
        ("-5", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # in the past: retry now
        ("Wed, 21 Oct 2015 07:30:00 GMT", 120.0),
        ("nan", None),
        ("inf", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value, expected):
    now = email.utils.parsedate_to_datetime("Wed, 21 Oct 2015 07:28:00 GMT").timestamp()
    assert parse_retry_after(value, now=now) == expected


@pytest.mark.parametrize(
    "body, content_type",
    [
        ("<html>maintenance</html>", "text/html"),
        ('{"id": "no envelope"}', "application/json"),
        ("[1, 2]", "application/json"),
        ("", "application/json"),
    ],
)
def test_success_status_without_envelope_is_a_transient_response_error(rsps, body, content_type):
    rsps.add(responses.GET, ORG_URL, status=200, body=body, content_type=content_type)

    with pytest.raises(CredlyResponseError) as caught:
        make_client().get_organization()
    assert isinstance(caught.value, CredlyTransientError)
    assert caught.value.status_code == 200


def test_unexpected_redirect_status_is_a_response_error(rsps):
    rsps.add(responses.GET, ORG_URL, status=304)

    with pytest.raises(CredlyResponseError):
        make_client().get_organization()


@pytest.mark.parametrize(
    "raised, timed_out",
    [
        (requests.ReadTimeout(f"read timed out, Authorization: Basic {TOKEN}"), True),
        (requests.ConnectTimeout(f"connect timed out {TOKEN}"), True),
        (requests.ConnectionError(f"Max retries exceeded with url: /badges?filter={EMAIL} {TOKEN}"), False),
        (requests.exceptions.ChunkedEncodingError("broken body"), False),
    ],
)
def test_network_failures_become_connection_errors_without_their_text(rsps, raised, timed_out):
    rsps.add(responses.GET, f"{ORG_URL}/badges", body=raised)

    with pytest.raises(CredlyConnectionError) as caught:
        list(make_client().iter_badges(filters={"recipient_email": EMAIL}))

    error = caught.value
    assert isinstance(error, CredlyTransientError)
    assert error.timed_out is timed_out
    assert error.status_code is None
    assert error.__cause__ is raised
    assert "GET organizations/org-1/badges" in str(error)
    for text in (str(error), repr(error)):
        assert TOKEN not in text
        assert EMAIL not in text


def test_exception_hierarchy():
    assert issubclass(CredlyAuthenticationError, CredlyCredentialError)
    assert issubclass(CredlyPermissionError, CredlyCredentialError)
    assert issubclass(CredlyDuplicateBadgeError, CredlyValidationError)
    for transient in (CredlyServerError, CredlyConnectionError, CredlyResponseError):
        assert issubclass(transient, CredlyTransientError)
    for cls in (CredlyCredentialError, CredlyNotFoundError, CredlyValidationError, CredlyRateLimitError,
                CredlyTransientError):
        assert issubclass(cls, CredlyError)
    assert not issubclass(CredlyRateLimitError, CredlyTransientError)
    assert not issubclass(CredlyNotFoundError, CredlyValidationError)


@pytest.mark.parametrize(
    "error",
    [
        CredlyDuplicateBadgeError("already", status_code=422, response_data={"data": {"message": "already"}}),
        CredlyRateLimitError("slow", retry_after=12.5),
        CredlyConnectionError("down", timed_out=True),
        CredlyError("plain"),
    ],
)
def test_exceptions_survive_pickling(error):
    """Celery pickles exceptions; the attributes must come back."""
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)  # pylint: disable=unidiomatic-typecheck
    assert vars(copy) == vars(error)
    assert str(copy) == str(error)


def test_exception_repr_leaves_out_response_data():
    error = CredlyValidationError("bad", status_code=422, response_data={"recipient_email": EMAIL})
    assert repr(error) == "CredlyValidationError(status_code=422, message='bad')"


# ------------------------------------------------------------ OAuth and 401


def test_oauth_bearer_token_is_sent_and_reused(rsps):
    add_token(rsps)
    rsps.add(responses.GET, ORG_URL, json={"data": {"id": ORG}})
    rsps.add(responses.GET, ORG_URL, json={"data": {"id": ORG}})
    client = make_client(make_oauth())

    client.get_organization()
    client.get_organization()

    token_calls = [call for call in rsps.calls if call.request.url == TOKEN_URL]
    api_calls = [call for call in rsps.calls if call.request.url == ORG_URL]
    assert len(token_calls) == 1
    assert [call.request.headers["Authorization"] for call in api_calls] == [f"Bearer {ACCESS_TOKEN}"] * 2


def test_oauth_401_refreshes_the_token_and_retries_once(rsps):
    add_token(rsps, access_token="at-old")
    add_token(rsps, access_token="at-new")
    rsps.add(responses.GET, ORG_URL, status=401, json=_message_body("Token revoked"))
    rsps.add(responses.GET, ORG_URL, json={"data": {"id": ORG}})

    assert make_client(make_oauth()).get_organization() == {"id": ORG}

    api_headers = [call.request.headers["Authorization"] for call in rsps.calls if call.request.url == ORG_URL]
    assert api_headers == ["Bearer at-old", "Bearer at-new"]


def test_oauth_second_401_raises_authentication_error(rsps):
    add_token(rsps, access_token="at-1")
    add_token(rsps, access_token="at-2")
    rsps.add(responses.POST, f"{ORG_URL}/badges", status=401, json=_message_body("Unauthorized"))
    rsps.add(responses.POST, f"{ORG_URL}/badges", status=401, json=_message_body("Still unauthorized"))

    with pytest.raises(CredlyAuthenticationError) as caught:
        make_client(make_oauth()).issue_badge({"recipient_email": EMAIL})

    assert caught.value.message == "Still unauthorized"
    assert len([call for call in rsps.calls if call.request.url == f"{ORG_URL}/badges"]) == 2


def test_token_auth_401_is_not_retried(rsps):
    rsps.add(responses.GET, ORG_URL, status=401, json=_message_body("Unauthorized"))

    with pytest.raises(CredlyAuthenticationError):
        make_client().get_organization()
    assert len(rsps.calls) == 1


def test_oauth_403_is_not_retried(rsps):
    add_token(rsps)
    rsps.add(responses.GET, ORG_URL, status=403, json=_message_body("Missing scope"))

    with pytest.raises(CredlyPermissionError):
        make_client(make_oauth()).get_organization()
    assert len(rsps.calls) == 2  # one token, one API call


# ------------------------------------------------------------------- session


def test_get_session_is_one_pooled_session_without_transport_retries():
    session = get_session()

    assert get_session() is session
    adapter = session.get_adapter("https://api.credly.com/v1/")
    assert adapter._pool_maxsize == 20  # pylint: disable=protected-access
    assert adapter.max_retries.total == 0
    assert session.get_adapter("http://localhost:8000/") is adapter
    assert session.headers["User-Agent"].startswith("openedx-credly/")


def test_get_session_is_created_once_across_threads(monkeypatch):
    monkeypatch.setattr(client_module, "_session", None)
    built = []
    real_build = client_module._build_session  # pylint: disable=protected-access

    def slow_build():
        time.sleep(0.01)  # widen the race window
        built.append(1)
        return real_build()

    monkeypatch.setattr(client_module, "_build_session", slow_build)
    results = []
    threads = [threading.Thread(target=lambda: results.append(get_session())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(built) == 1
    assert len({id(session) for session in results}) == 1


def test_client_uses_the_shared_session_unless_given_one():
    own = requests.Session()
    assert make_client().session is get_session()
    assert make_client(session=own).session is own


def test_forked_child_gets_a_new_session(monkeypatch):
    parent_session = get_session()
    client_module._forget_session_after_fork()  # pylint: disable=protected-access
    try:
        assert get_session() is not parent_session
    finally:
        monkeypatch.setattr(client_module, "_session", parent_session)


# ------------------------------------------------------- logs and secrets


def test_requests_are_logged_at_debug_without_query_or_headers(rsps, caplog):
    rsps.add(responses.GET, f"{ORG_URL}/badges", json=page([{"id": 1}], next_page_url=None))
    caplog.set_level(logging.DEBUG, logger="openedx_credly.credly")

    list(make_client().iter_badges(filters={"recipient_email": EMAIL}))

    records = [record for record in caplog.records if record.name == "openedx_credly.credly"]
    assert len(records) == 1
    assert records[0].levelno == logging.DEBUG
    assert records[0].getMessage().startswith("Credly GET organizations/org-1/badges -> 200 in ")
    assert EMAIL not in caplog.text
    assert "Basic" not in caplog.text


def test_no_secret_in_exceptions_or_logs(rsps, caplog):
    """Every failure path, with both credentials: no secret in str, repr or logs."""
    caplog.set_level(logging.DEBUG)  # every logger, including requests' and urllib3's
    caplog.set_level(logging.DEBUG, logger="openedx_credly.credly")  # even if a parent is quieter
    errors = []

    def capture(call):
        try:
            call()
        except CredlyError as exc:
            errors.append(exc)

    # Token auth: 401, 422, timeout.
    rsps.add(responses.GET, ORG_URL, status=401, json=_message_body("Unauthorized"))
    rsps.add(responses.POST, f"{ORG_URL}/badges", status=422, json=_message_body("already has this badge"))
    rsps.add(responses.GET, f"{ORG_URL}/badges/b-1", body=requests.ReadTimeout(f"Authorization: {_basic(TOKEN)}"))
    token_client = make_client(TokenAuth(TOKEN))
    capture(token_client.get_organization)
    capture(lambda: token_client.issue_badge({"recipient_email": EMAIL}))
    capture(lambda: token_client.get_badge("b-1"))

    # OAuth: success, then 401 twice, then a token endpoint that echoes the secret.
    add_token(rsps)
    rsps.add(responses.GET, ORG_URL, json={"data": {"id": ORG}})
    rsps.add(responses.GET, ORG_URL, status=401, json=_message_body("Unauthorized"))
    add_token(rsps)
    rsps.add(responses.GET, ORG_URL, status=401, json=_message_body("Unauthorized"))
    rsps.add(responses.POST, TOKEN_URL, status=401, json={"error": "invalid_client",
                                                          "error_description": f"bad secret {CLIENT_SECRET}"})
    oauth = make_oauth()
    oauth_client = make_client(oauth)
    capture(oauth_client.get_organization)
    capture(oauth_client.get_organization)
    oauth.invalidate()
    capture(oauth_client.get_organization)

    assert [type(error) for error in errors] == [
        CredlyAuthenticationError, CredlyDuplicateBadgeError, CredlyConnectionError,
        CredlyAuthenticationError, CredlyAuthenticationError,
    ]
    texts = [str(error) for error in errors] + [repr(error) for error in errors]
    texts += [repr(token_client), repr(oauth_client), repr(oauth), repr(token_client.auth)]
    texts += [record.getMessage() for record in caplog.records] + [caplog.text]
    assert any("Credly GET organizations/org-1 -> 401" in text for text in texts)  # logs were captured
    for text in texts:
        for secret in SECRETS:
            assert secret not in text
