"""
Fixtures for the fake Credly's own tests, which need no Django.

Normally the root conftest registers ``fake_credly.pytest_plugin``. To run these
tests without Django, cut the root conftest off::

    python -m pytest -p no:django --confcutdir=tests/fake_credly tests/fake_credly

and this conftest registers the plugin itself.
"""
import base64
from types import SimpleNamespace

import pytest
import requests

ISSUED_AT = "2026-11-25 14:03:00 +0000"
PLUGIN = "fake_credly.pytest_plugin"


def pytest_configure(config):
    if not config.pluginmanager.has_plugin(PLUGIN):
        config.pluginmanager.import_plugin(PLUGIN)


def basic(token: str, colon: bool = True) -> dict:
    """Authorization header of a Credly authorization token."""
    raw = f"{token}:" if colon else token
    return {"Authorization": "Basic " + base64.b64encode(raw.encode()).decode()}


def http_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # loopback only, whatever proxy the environment names
    return session


@pytest.fixture
def http():
    with http_session() as session:
        yield session


@pytest.fixture
def fake_org(fake_credly, http):  # pylint: disable=redefined-outer-name
    """
    A seeded organization with one active template and helpers bound to it.

    ``fake_org.url(path)`` builds an API URL under the organization, ``fake_org.get/post/put``
    send it with the token, ``fake_org.issue(**overrides)`` posts a valid badge.
    """
    state = fake_credly.state
    org = state.add_organization("Test Org", token="test-token")
    template = state.add_template(org["id"], "Python 101")
    ns = SimpleNamespace(server=fake_credly, state=state, org=org, org_id=org["id"], template=template,
                         template_id=template["id"], headers=basic(org["token"]), http=http)
    ns.url = lambda path="": f"{fake_credly.api_base_url}organizations/{org['id']}{'/' + path if path else ''}"

    def send(method, path="", **kwargs):
        kwargs.setdefault("headers", ns.headers)
        kwargs.setdefault("timeout", 10)
        return http.request(method, ns.url(path), **kwargs)

    def issue(timeout=10, **overrides):
        body = {"recipient_email": "ada@example.com", "issued_to_first_name": "Ada",
                "issued_to_last_name": "Lovelace", "badge_template_id": ns.template_id, "issued_at": ISSUED_AT}
        body.update(overrides)
        return send("POST", "badges", json={k: v for k, v in body.items() if v is not None}, timeout=timeout)

    ns.get = lambda path="", **kwargs: send("GET", path, **kwargs)
    ns.put = lambda path, **kwargs: send("PUT", path, **kwargs)
    ns.post = lambda path, **kwargs: send("POST", path, **kwargs)
    ns.issue = issue
    ns.basic = basic
    return ns
