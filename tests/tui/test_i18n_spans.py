"""The case screen's spans of business time (N19): the longer form ("3h 20m", "2d 1h") but no zero
part ("1h", not "1h 0m"; "1d", not "1d 0h"), the same parts as the queue's and the CLI's
sla_policy.format_span ("1h", "1d"), in both languages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shopdesk.domain.sla_policy import format_span
from shopdesk.tui import i18n
from shopdesk.tui.vocabulary import business_span

DAY = timedelta(hours=9)


@pytest.mark.parametrize(
    ("span", "en", "zh", "short"),
    [
        (timedelta(hours=1), "1h", "1小时", "1h"),
        (timedelta(hours=9), "1d", "1天", "1d"),
        (timedelta(hours=1, minutes=5), "1h 5m", "1小时5分", "1h05m"),
        (timedelta(hours=21), "2d 3h", "2天3小时", "2d3h"),
        (timedelta(minutes=45), "45m", "45分钟", "45m"),
        (timedelta(0), "0m", "0分钟", "0m"),
        (-timedelta(hours=18), "2d", "2天", "-2d"),
    ],
)
def test_spans_drop_zero_parts_like_the_queue(span, en, zh, short):
    i18n.set_language("en")
    assert business_span(span, DAY) == en
    assert format_span(span, DAY) == short
    i18n.set_language("zh")
    assert business_span(span, DAY) == zh
