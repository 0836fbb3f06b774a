"""Follow-up times: durations count business time like the SLA; explicit times stay as given."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from shopdesk.domain.errors import ValidationError
from shopdesk.domain.follow_ups import follow_up_at
from shopdesk.domain.sla import BusinessCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR = BusinessCalendar(tz="Asia/Shanghai")  # Mon-Fri 09-12, 13-18


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def test_a_duration_typed_at_night_counts_from_the_morning():
    # QA F5: "2h" logged at 01:03 on Tuesday landed at 03:03; business time says 11:00.
    assert follow_up_at("2h", local(24, 1, 3), CALENDAR) == local(24, 11)
    assert follow_up_at("30m", local(24, 1, 3), CALENDAR) == local(24, 9, 30)


def test_durations_skip_lunch_nights_and_weekends():
    assert follow_up_at("2h", local(23, 10, 30), CALENDAR) == local(23, 13, 30)
    assert follow_up_at("+ 45 m", local(23, 17, 30), CALENDAR) == local(24, 9, 15)
    assert follow_up_at("1d", local(23, 10, 30), CALENDAR) == local(24, 10, 30)
    assert follow_up_at("1d", local(27, 15), CALENDAR) == local(30, 15)  # Friday -> Monday


def test_explicit_times_are_the_shops_clock_as_given():
    now = local(24, 1, 3)
    assert follow_up_at("03:30", now, CALENDAR) == local(24, 3, 30)  # even outside hours
    assert follow_up_at("11-28 10:00", now, CALENDAR) == local(28, 10)  # a Saturday: as given
    assert follow_up_at("2026-12-01 09:15", now, CALENDAR) == datetime(2026, 12, 1, 9, 15,
                                                                             tzinfo=SHANGHAI)
    assert follow_up_at("  ", now, CALENDAR) is None
    assert follow_up_at("11:00", datetime(2026, 11, 23, 17, 3, tzinfo=UTC), CALENDAR) == local(24, 11)


@pytest.mark.parametrize("text", ["soonish", "2 weeks", "25:00", "-2h", "1.5h"])
def test_anything_else_is_refused_naming_the_field(text):
    with pytest.raises(ValidationError) as caught:
        follow_up_at(text, local(24, 1, 3), CALENDAR)
    assert caught.value.field == "next_follow_up_at"
    assert "business time" in caught.value.detail
