"""Kinds named by users: a kind or a group of kinds, the same for the CLI, exports and the API."""

from __future__ import annotations

import pytest

from shopdesk.domain.errors import ValidationError
from shopdesk.domain.kinds import KIND_GROUPS, expand_kinds


def test_a_group_stands_for_its_kinds_each_once_in_the_order_named():
    assert expand_kinds(["delivery"]) == list(KIND_GROUPS["delivery"])
    assert expand_kinds(["Lost, payment", "lost", " urgent "]) == [
        "lost", *KIND_GROUPS["payment"], "urgent_order"]
    assert expand_kinds(["other"]) == ["other"]  # both a group and a kind
    assert expand_kinds([]) == [] and expand_kinds(["", " , "]) == []


def test_an_unknown_name_lists_kinds_and_groups():
    with pytest.raises(ValidationError) as caught:
        expand_kinds(["lost", "teapot"])
    assert caught.value.field == "kind"
    assert "unknown kind 'teapot'" in caught.value.detail
    assert "damaged" in caught.value.detail and "or a group (order, payment" in caught.value.detail
