"""safe_json: the one reader of JSON bodies (API parser, webhook, Credly's answers)."""
import pytest
import responses

from openedx_credly import safe_json
from openedx_credly.credly import CredlyClient, TokenAuth
from openedx_credly.credly.errors import CredlyError


def test_brackets_inside_strings_do_not_count():
    assert safe_json.loads('{"a": "[[[[[[\\"[[[[", "b": [1, {"c": "]]]"}]}') == {
        "a": '[[[[[["[[[[', "b": [1, {"c": "]]]"}]}
    assert safe_json.nesting_depth('{"a": "[[[[[[", "b": [1, {"c": []}]}') == 4


@pytest.mark.parametrize("raw,message", [
    (b"[" * 65 + b"]" * 65, "nests deeper than 64"),
    (b"[" * 100_000, "nests deeper"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b"{nope", "not valid JSON"),
])
def test_refusals_are_value_errors_that_say_why(raw, message):
    with pytest.raises(ValueError, match=message):
        safe_json.loads(raw)


def test_the_limit_is_inclusive():
    assert safe_json.loads("[" * 64 + "]" * 64)


def test_a_credly_answer_nested_too_deep_is_an_error_not_a_crash():
    client = CredlyClient(api_base_url="https://credly.test/v1/", organization_id="org", auth=TokenAuth("t"))
    with responses.RequestsMock() as mock:
        mock.add(responses.GET, "https://credly.test/v1/organizations/org/badges/b-1",
                 body=b'{"data": ' + b"[" * 5000 + b"]" * 5000 + b"}", content_type="application/json")
        with pytest.raises(CredlyError):
            client.get_badge("b-1")
