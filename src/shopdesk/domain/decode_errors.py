"""msgspec's refusals said for people: what a value should look like instead of the regex that
checks it, "true or false" for a flag, and the path of a missing or unknown field with its name.

`explain("Expected `str` matching regex '^[0-9]{1,13}...' - at `$.order.total`")` gives
`('must be a decimal string like "29.90" (at most 13 digits and 2 decimals) - at `$.order.total`',
'$.order.total')`. Schemas register the words for their patterns with `describe_pattern`.
"""

from __future__ import annotations

import ast
import re

# pattern (as in msgspec.Meta) -> what a matching value is, in words
_PATTERN_WORDS: dict[str, str] = {}

_REGEX = re.compile(r"Expected `str` matching regex (?P<pattern>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")")
_BOOL = re.compile(r"Expected `bool(?: \| null)?`, got `[^`]+`")
_INT = re.compile(r"Expected `int(?: \| null)?`, got `[^`]+`")
_INT_BOUND = re.compile(r"Expected `int` (?P<op>>=|<=) (?P<n>-?\d+)")
_AWARE = re.compile(r"Expected `datetime` with a timezone component")
_EMPTY = re.compile(r"Expected `str` of length >= 1")
_LONGEST = re.compile(r"Expected `str` of length <= (?P<n>\d+)")
_AT = re.compile(r" - at `(?P<path>[^`]*)`")
_FIELD_NAMED = re.compile(
    r"Object (?P<what>missing required|contains unknown) field `(?P<name>[^`]+)`"
    r"(?: - at `(?P<path>[^`]*)`)?"
)
_BODY_PROBLEMS = ("JSON is malformed", "Input data was truncated")


def describe_pattern(pattern: str, words: str) -> None:
    """Say `words` ("a decimal string like ...") where a value does not match `pattern`."""
    _PATTERN_WORDS[pattern] = words


def _pattern_words(match: re.Match[str]) -> str:
    try:
        pattern = ast.literal_eval(match.group("pattern"))
    except (ValueError, SyntaxError):
        return match.group(0)
    words = _PATTERN_WORDS.get(pattern)
    return f"must be {words}" if words else f"must match the pattern {pattern}"


def _field_path(match: re.Match[str]) -> str:
    path = match.group("path") or "$"
    name = match.group("name")
    field_path = f"{path}.{name}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) else \
        f"{path}[{name!r}]"
    if match.group("what") == "missing required":
        return f"required field `{name}` is missing - at `{field_path}`"
    return f"unknown field `{name}` - at `{field_path}`"


def not_utf8_reason(error: ValueError | str) -> str | None:
    """Why a JSON body was refused for not being UTF-8, or None for any other refusal.

    msgspec checks the UTF-8 of strings as it reads them, and says so differently by version:
    up to 0.22 a `UnicodeDecodeError` ("invalid continuation byte"), from 0.23 a `DecodeError`
    "Invalid UTF-8 encoded string" (which Litestar passes on as the text of a 400). Both shapes
    are recognised here, in one place."""
    if isinstance(error, UnicodeDecodeError):
        return error.reason
    text = str(error)
    if "utf-8" in text.lower() and ("invalid" in text.lower() or "decode" in text.lower()):
        return _AT.sub("", text).strip().rstrip(".").lower()
    return None


def explain(text: str, field: str | None = None) -> tuple[str, str | None]:
    """(readable text, the field at fault): the text's own path where it names one, "body" when
    the body is not JSON at all, else `field`."""
    text = _REGEX.sub(_pattern_words, text)
    text = _BOOL.sub("must be true or false", text)
    text = _INT.sub("must be a whole number", text)
    text = _INT_BOUND.sub(lambda m: f"must be a whole number of {m.group('n')} or "
                          f"{'more' if m.group('op') == '>=' else 'less'}", text)
    text = _AWARE.sub("must be a time with its UTC offset, like 2026-11-23T10:00:00+08:00 "
                      "(a time without one is ambiguous)", text)
    text = _EMPTY.sub("must not be empty", text)
    text = _LONGEST.sub(r"must be at most \g<n> characters", text)
    text = _FIELD_NAMED.sub(_field_path, text)
    paths = _AT.findall(text)
    if paths:
        return text, paths[-1]
    if any(problem in text for problem in _BODY_PROBLEMS):
        return text, "body"
    return text, field
