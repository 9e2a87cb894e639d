"""
Unit tests of ``openedx_credly.credly.auth``: the Basic token and the OAuth client.

The OAuth token endpoint is mocked with ``responses``; time is a fake clock passed to
``OAuthClientCredentials`` so expiry is tested without sleeping.
"""
import base64
import logging
import threading
import time
from urllib.parse import parse_qs

import pytest
import requests
import responses

from openedx_credly.credly import (
    CredlyAuthenticationError,
    CredlyConnectionError,
    CredlyRateLimitError,
    CredlyResponseError,
    CredlyServerError,
    OAuthClientCredentials,
    TokenAuth,
)

TOKEN_URL = "https://www.credly.test/oauth/token"
API_URL = "https://api.credly.test/v1/organizations/org-1"
CLIENT_ID = "client-id-31"
CLIENT_SECRET = "cs-SECRET-9b1c77"
ACCESS_TOKEN = "at-SECRET-77e0d1"
START = 1_800_000_000.0


class FakeClock:
    """A settable replacement for ``time.time``."""

    def __init__(self, now=START):
        self.now = now

    def __call__(self):
        return self.now


class DictCache:
    """A Django-cache look-alike that remembers what it was asked to do."""

    def __init__(self):
        self.values = {}
        self.set_calls = []

    def get(self, key):
        return self.values.get(key)

    def set(self, key, value, timeout):
        self.set_calls.append((key, value, timeout))
        self.values[key] = value

    def delete(self, key):
        self.values.pop(key, None)


class BrokenCache:
    """A cache whose backend is down."""

    def get(self, key):
        raise ConnectionError("redis down")

    def set(self, key, value, timeout):
        raise ConnectionError("redis down")

    def delete(self, key):
        raise ConnectionError("redis down")


def make_oauth(**kwargs):
    return OAuthClientCredentials(TOKEN_URL, CLIENT_ID, CLIENT_SECRET, **kwargs)


def add_token(rsps, access_token=ACCESS_TOKEN, expires_in=7200, **kwargs):
    body = {"access_token": access_token, "token_type": "Bearer"}
    if expires_in is not None:
        body["expires_in"] = expires_in
    rsps.add(responses.POST, TOKEN_URL, json=body, **kwargs)


def authorization_of(auth):
    """The Authorization header ``auth`` puts on a request."""
    prepared = requests.Request("GET", API_URL, auth=auth).prepare()
    return prepared.headers["Authorization"]


def token_calls(rsps):
    return [call for call in rsps.calls if call.request.url == TOKEN_URL]


# ------------------------------------------------------------------ TokenAuth


def test_token_auth_header_is_base64_of_token_and_colon():
    assert authorization_of(TokenAuth("tok")) == "Basic dG9rOg=="
    assert base64.b64decode("dG9rOg==") == b"tok:"


def test_token_auth_strips_pasted_whitespace():
    assert authorization_of(TokenAuth("  tok\n")) == "Basic dG9rOg=="


@pytest.mark.parametrize("token", ["", "   ", None])
def test_token_auth_requires_a_token(token):
    with pytest.raises(ValueError):
        TokenAuth(token)


def test_token_auth_repr_and_attributes_hide_the_token():
    auth = TokenAuth("tok-SECRET-4f2a9c")
    assert repr(auth) == "TokenAuth(token='***')"
    assert "tok-SECRET" not in str(auth)
    assert all("tok-SECRET" not in str(value) for value in vars(auth).values())


def test_token_auth_equality():
    assert TokenAuth("a") == TokenAuth("a")
    assert TokenAuth("a") != TokenAuth("b")


# ------------------------------------------------------------- OAuth request


def test_oauth_posts_the_client_credentials_form(rsps):
    add_token(rsps)

    assert authorization_of(make_oauth()) == f"Bearer {ACCESS_TOKEN}"

    request = rsps.calls[0].request
    assert request.method == "POST"
    assert request.url == TOKEN_URL
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.headers["Accept"] == "application/json"
    assert "Authorization" not in request.headers
    assert parse_qs(request.body) == {
        "client_id": [CLIENT_ID],
        "client_secret": [CLIENT_SECRET],
        "grant_type": ["client_credentials"],
        "scope": ["issued_badges badge_templates events"],
    }


def test_oauth_scopes_may_be_a_list(rsps):
    add_token(rsps)

    make_oauth(scopes=["issued_badges", "events"]).get_access_token()

    assert parse_qs(rsps.calls[0].request.body)["scope"] == ["issued_badges events"]


def test_oauth_passes_its_timeout(rsps):
    add_token(rsps)

    make_oauth(timeout=3).get_access_token()

    assert rsps.calls[0].request.req_kwargs["timeout"] == 3


def test_oauth_accepts_the_token_under_data(rsps):
    rsps.add(responses.POST, TOKEN_URL,
             json={"data": {"access_token": "at-enveloped", "token_type": "Bearer", "expires_in": 7200}})

    assert make_oauth().get_access_token() == "at-enveloped"


@pytest.mark.parametrize("bad_args", [
    ("", CLIENT_ID, CLIENT_SECRET),
    ("www.credly.com/oauth/token", CLIENT_ID, CLIENT_SECRET),
    (TOKEN_URL, "", CLIENT_SECRET),
    (TOKEN_URL, CLIENT_ID, ""),
])
def test_oauth_requires_its_settings(bad_args):
    with pytest.raises(ValueError):
        OAuthClientCredentials(*bad_args)


# ---------------------------------------------------------- caching, expiry


def test_oauth_token_is_cached_until_shortly_before_expiry(rsps):
    clock = FakeClock()
    add_token(rsps, access_token="at-1", expires_in=7200)
    add_token(rsps, access_token="at-2", expires_in=7200)
    auth = make_oauth(clock=clock)

    assert auth.get_access_token() == "at-1"
    clock.now = START + 7200 - 61  # still more than the 60 s margin left
    assert auth.get_access_token() == "at-1"
    assert len(token_calls(rsps)) == 1

    clock.now = START + 7200 - 59  # inside the margin: refresh before Credly expires it
    assert auth.get_access_token() == "at-2"
    assert len(token_calls(rsps)) == 2


def test_oauth_missing_expires_in_assumes_an_hour(rsps):
    clock = FakeClock()
    add_token(rsps, access_token="at-1", expires_in=None)
    add_token(rsps, access_token="at-2")
    auth = make_oauth(clock=clock)

    auth.get_access_token()
    clock.now = START + 3600 - 61
    assert auth.get_access_token() == "at-1"
    clock.now = START + 3600 - 59
    assert auth.get_access_token() == "at-2"


def test_oauth_very_short_lived_token_is_refreshed_at_half_life(rsps):
    clock = FakeClock()
    add_token(rsps, access_token="at-1", expires_in=100)
    add_token(rsps, access_token="at-2", expires_in=100)
    auth = make_oauth(clock=clock)

    auth.get_access_token()
    clock.now = START + 49
    assert auth.get_access_token() == "at-1"
    clock.now = START + 50
    assert auth.get_access_token() == "at-2"


def test_oauth_zero_lifetime_token_is_not_cached(rsps):
    add_token(rsps, access_token="at-1", expires_in=0)
    add_token(rsps, access_token="at-2", expires_in=0)
    auth = make_oauth()

    assert [auth.get_access_token(), auth.get_access_token()] == ["at-1", "at-2"]


def test_oauth_invalidate_forces_a_new_token(rsps):
    add_token(rsps, access_token="at-1")
    add_token(rsps, access_token="at-2")
    auth = make_oauth()

    assert auth.get_access_token() == "at-1"
    auth.invalidate()
    assert auth.get_access_token() == "at-2"


def test_oauth_default_store_is_per_instance(rsps):
    add_token(rsps, access_token="at-1")
    add_token(rsps, access_token="at-2")

    assert make_oauth().get_access_token() == "at-1"
    assert make_oauth().get_access_token() == "at-2"


def test_oauth_shared_cache_serves_every_instance_with_one_token(rsps):
    cache = DictCache()
    clock = FakeClock()
    add_token(rsps, access_token="at-shared", expires_in=7200)

    first = make_oauth(cache=cache, clock=clock)
    second = make_oauth(cache=cache, clock=clock)

    assert first.get_access_token() == second.get_access_token() == "at-shared"
    assert len(token_calls(rsps)) == 1
    [(key, value, timeout)] = cache.set_calls
    assert key == first.cache_key == second.cache_key
    assert key.startswith("openedx_credly:oauth_token:")
    assert CLIENT_ID not in key and CLIENT_SECRET not in key
    assert timeout == 7140
    assert value == {"access_token": "at-shared", "refresh_at": START + 7140}


def test_oauth_cache_key_differs_per_client_and_can_be_chosen():
    assert make_oauth().cache_key != OAuthClientCredentials(TOKEN_URL, "other", CLIENT_SECRET).cache_key
    assert make_oauth(cache_key="credly:org-1").cache_key == "credly:org-1"


def test_oauth_invalidate_deletes_from_the_shared_cache(rsps):
    cache = DictCache()
    add_token(rsps)
    auth = make_oauth(cache=cache, cache_key="k")

    auth.get_access_token()
    assert "k" in cache.values
    auth.invalidate()
    assert "k" not in cache.values


@pytest.mark.parametrize("garbage", ["a string", {"access_token": ""}, {"access_token": "x"},
                                     {"access_token": "x", "refresh_at": "soon"}])
def test_oauth_ignores_malformed_cache_entries(rsps, garbage):
    cache = DictCache()
    cache.values["k"] = garbage
    add_token(rsps, access_token="at-fresh")

    assert make_oauth(cache=cache, cache_key="k").get_access_token() == "at-fresh"


def test_oauth_keeps_working_when_the_cache_is_down(rsps, caplog):
    add_token(rsps, access_token="at-1")
    add_token(rsps, access_token="at-2")
    auth = make_oauth(cache=BrokenCache())

    with caplog.at_level(logging.WARNING, logger="openedx_credly.credly"):
        assert auth.get_access_token() == "at-1"
        auth.invalidate()
        assert auth.get_access_token() == "at-2"  # nothing could be cached: fetched again
    assert "Could not read the Credly OAuth token from the cache" in caplog.text


def test_oauth_concurrent_first_use_fetches_one_token(monkeypatch):
    auth = make_oauth()
    fetches = []

    def slow_fetch():
        fetches.append(1)
        time.sleep(0.02)
        return f"at-{len(fetches)}", 7200.0

    monkeypatch.setattr(auth, "_fetch_token", slow_fetch)
    results = []
    threads = [threading.Thread(target=lambda: results.append(auth.get_access_token())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(fetches) == 1
    assert results == ["at-1"] * 8


# ------------------------------------------------------- token endpoint errors


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_token_endpoint_refusal_is_an_authentication_error(rsps, status):
    rsps.add(responses.POST, TOKEN_URL, status=status,
             json={"error": "invalid_client", "error_description": "Client authentication failed"})

    with pytest.raises(CredlyAuthenticationError) as caught:
        make_oauth().get_access_token()

    assert caught.value.status_code == status
    assert "Client authentication failed" in caught.value.message
    assert caught.value.response_data is None


def test_token_endpoint_redirect_is_not_followed(rsps):
    rsps.add(responses.POST, TOKEN_URL, status=307, headers={"Location": "https://elsewhere.test/token"})

    with pytest.raises(CredlyAuthenticationError, match="redirected"):
        make_oauth().get_access_token()
    assert len(rsps.calls) == 1


def test_token_endpoint_rate_limit(rsps):
    rsps.add(responses.POST, TOKEN_URL, status=429, headers={"Retry-After": "12"}, body="")

    with pytest.raises(CredlyRateLimitError) as caught:
        make_oauth().get_access_token()
    assert caught.value.retry_after == 12.0


@pytest.mark.parametrize("status", [500, 503])
def test_token_endpoint_server_error(rsps, status):
    rsps.add(responses.POST, TOKEN_URL, status=status, body="oops")

    with pytest.raises(CredlyServerError) as caught:
        make_oauth().get_access_token()
    assert caught.value.status_code == status


@pytest.mark.parametrize("raised, timed_out", [
    (requests.ConnectTimeout(f"timed out posting client_secret={CLIENT_SECRET}"), True),
    (requests.ConnectionError(f"refused, client_secret={CLIENT_SECRET}"), False),
])
def test_token_endpoint_network_failure(rsps, raised, timed_out):
    rsps.add(responses.POST, TOKEN_URL, body=raised)

    with pytest.raises(CredlyConnectionError) as caught:
        make_oauth().get_access_token()
    assert caught.value.timed_out is timed_out
    assert CLIENT_SECRET not in str(caught.value)
    assert CLIENT_SECRET not in repr(caught.value)


@pytest.mark.parametrize("body", [
    "<html>login</html>",
    '{"token_type": "Bearer"}',
    '{"access_token": ""}',
    '{"data": {"token_type": "Bearer"}}',
    "[]",
])
def test_token_endpoint_answer_without_token_is_a_response_error(rsps, body):
    rsps.add(responses.POST, TOKEN_URL, status=200, body=body, content_type="application/json")

    with pytest.raises(CredlyResponseError) as caught:
        make_oauth().get_access_token()
    assert caught.value.response_data is None


def test_failed_token_fetch_caches_nothing(rsps):
    rsps.add(responses.POST, TOKEN_URL, status=503, body="")
    add_token(rsps, access_token="at-after-outage")
    auth = make_oauth()

    with pytest.raises(CredlyServerError):
        auth.get_access_token()
    assert auth.get_access_token() == "at-after-outage"


# ----------------------------------------------------------------- secrets


def test_oauth_never_shows_secret_or_access_token(rsps, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="openedx_credly.credly")
    add_token(rsps)
    rsps.add(responses.POST, TOKEN_URL, status=401,
             json={"error": "invalid_client", "error_description": f"unknown secret {CLIENT_SECRET}"})
    auth = make_oauth()

    auth.get_access_token()
    auth.invalidate()
    with pytest.raises(CredlyAuthenticationError) as caught:
        auth.get_access_token()

    assert "***" in caught.value.message  # the echoed secret was redacted, not dropped silently
    assert repr(auth) == f"OAuthClientCredentials(token_url={TOKEN_URL!r}, client_id={CLIENT_ID!r})"
    texts = [str(caught.value), repr(caught.value), repr(auth), str(auth), caplog.text]
    texts += [record.getMessage() for record in caplog.records]
    assert any("Credly POST OAuth token -> 200" in text for text in texts)  # logs were captured
    for text in texts:
        assert CLIENT_SECRET not in text
        assert ACCESS_TOKEN not in text
