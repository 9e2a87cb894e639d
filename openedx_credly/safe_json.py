"""
Reading JSON that someone else wrote: strict UTF-8, bounded nesting.

Python's parser recurses once per ``[`` or ``{``, so a few kilobytes of ``[[[[…`` end in
``RecursionError``. ``loads`` counts the nesting first and refuses anything deeper than
``MAX_DEPTH`` with a ``ValueError``, like any other malformed body. Every JSON body the
plugin reads goes through here: the REST API's parser (``api/parsers.py``), the webhook
and the answers of Credly. Django-free, so the Credly client can use it.
"""
import json
import re

# Our own bodies nest 3 deep, Credly's answers about 5; 64 leaves room and stays far
# below Python's recursion limit.
MAX_DEPTH = 64

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class JSONBodyError(ValueError):
    """The body is not UTF-8 JSON, or nests deeper than allowed."""


def nesting_depth(text):
    """How deep the arrays and objects of the JSON ``text`` nest (brackets inside strings do not count)."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub("", text)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def loads(raw, max_depth=MAX_DEPTH):
    """
    Parse ``raw`` (bytes in UTF-8, or text) as JSON; raise ``JSONBodyError`` when it cannot be.

    The message says what is wrong in words fit for a ``developer_message``.
    """
    if isinstance(raw, (bytes, bytearray)):
        try:
            text = bytes(raw).decode("utf-8")
        except UnicodeDecodeError as error:
            raise JSONBodyError("The body is not UTF-8 text.") from error
    else:
        text = raw
    if nesting_depth(text) > max_depth:
        raise JSONBodyError(f"The JSON nests deeper than {max_depth} levels.")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        raise JSONBodyError(f"The body is not valid JSON: {error}") from error
