"""Fixtures of the Credly client tests."""
import pytest
import requests
import responses


@pytest.fixture(name="rsps")
def fixture_rsps():
    """A ``responses`` mock that fails the test on unused or unmatched mocks."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock
        refused = [
            call.request.url
            for call in mock.calls
            if isinstance(call.response, requests.ConnectionError)
            and "Connection refused by Responses" in str(call.response)
        ]
        assert not refused, f"unmocked requests: {refused}"
