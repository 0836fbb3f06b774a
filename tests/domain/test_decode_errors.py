"""msgspec's refusals in words: patterns described, flags and numbers, paths of named fields."""

from __future__ import annotations

import msgspec
import pytest

from shopdesk.domain.decode_errors import describe_pattern, explain, not_utf8_reason


def test_a_described_pattern_is_said_in_words_and_an_unknown_one_plainly():
    describe_pattern(r"^[A-Z]{2}-\d+$", 'a code like "AB-12"')
    assert explain(r"Expected `str` matching regex '^[A-Z]{2}-\\d+$' - at `$.code`") == (
        'must be a code like "AB-12" - at `$.code`', "$.code")
    assert explain(r"Expected `str` matching regex '^x\\.y$' - at `$.other`") == (
        r"must match the pattern ^x\.y$ - at `$.other`", "$.other")


def test_flags_numbers_and_named_fields():
    assert explain("Expected `bool | null`, got `str`", "urgent") == (
        "must be true or false", "urgent")
    assert explain("Expected `int`, got `float` - at `$.level`")[0] == (
        "must be a whole number - at `$.level`")
    assert explain("Expected `str` of length >= 1")[0] == "must not be empty"
    assert explain("Expected `str` of length <= 200")[0] == "must be at most 200 characters"
    assert explain("Object missing required field `kind`") == (
        "required field `kind` is missing - at `$.kind`", "$.kind")
    assert explain("invalid event: Object missing required field `id` - at `$.order`") == (
        "invalid event: required field `id` is missing - at `$.order.id`", "$.order.id")
    assert explain("Object contains unknown field `colour` - at `$.items[0]`") == (
        "unknown field `colour` - at `$.items[0].colour`", "$.items[0].colour")


def test_a_body_that_is_not_json_is_the_body_at_fault():
    assert explain("JSON is malformed: invalid character (byte 0)") == (
        "JSON is malformed: invalid character (byte 0)", "body")
    assert explain("Input data was truncated")[1] == "body"
    assert explain("no case C-000009", "ref") == ("no case C-000009", "ref")


def test_bounds_and_times_without_an_offset_in_words():
    assert explain("Expected `int` >= 1 - at `$.expected_version`") == (
        "must be a whole number of 1 or more - at `$.expected_version`", "$.expected_version")
    assert explain("Expected `int` <= 3 - at `$.level`")[0] == (
        "must be a whole number of 3 or less - at `$.level`")
    text, field = explain("Expected `datetime` with a timezone component - at `$.occurred_at`")
    assert field == "$.occurred_at"
    assert text.startswith("must be a time with its UTC offset, like 2026-11-23T10:00:00+08:00")


# msgspec <= 0.22 raised UnicodeDecodeError for a JSON string that is not UTF-8; 0.23 raises a
# DecodeError "Invalid UTF-8 encoded string". Both must read as "not valid UTF-8", field body.
_OLD_SHAPE = UnicodeDecodeError("utf-8", b"caf\xe9", 3, 4, "invalid continuation byte")
_NEW_SHAPE = msgspec.DecodeError("Invalid UTF-8 encoded string")


@pytest.mark.parametrize("error", [_OLD_SHAPE, _NEW_SHAPE], ids=["msgspec-0.22", "msgspec-0.23"])
def test_a_body_not_in_utf8_is_recognised_whichever_exception_msgspec_raises(error):
    from shopdesk.domain.intake.mapping import decode_error

    assert not_utf8_reason(error)
    refusal = decode_error(error, "invalid event")
    assert "not valid UTF-8" in str(refusal)
    assert refusal.field == "body"


def test_other_decode_errors_are_not_taken_for_utf8_problems():
    assert not_utf8_reason(msgspec.DecodeError("JSON is malformed: invalid character")) is None
    assert not_utf8_reason(msgspec.ValidationError("Expected `str`, got `int` - at `$.a`")) is None
