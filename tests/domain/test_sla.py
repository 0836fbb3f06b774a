"""SLA clocks in business hours: examples first, then the properties the issue asks for."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopdesk.domain.errors import ValidationError
from shopdesk.domain.sla import (
    BusinessCalendar,
    ClockState,
    Pause,
    Target,
    add_business_time,
    business_time_between,
    clock_state,
    day_length,
    end_of_business_day,
    fraction_left,
    is_business_time,
    next_business_moment,
    target_duration,
    validate_calendar,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
CAL = BusinessCalendar()  # Asia/Shanghai, Mon-Fri 09:00-12:00 + 13:00-18:00


def sh(*args: int) -> datetime:
    """A Shanghai wall-clock time, as the UTC instant the functions take and return."""
    return datetime(*args, tzinfo=SHANGHAI).astimezone(UTC)


def be(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=BERLIN, fold=fold).astimezone(UTC)


H = timedelta(hours=1)
M = timedelta(minutes=1)


# --- calendar and validation ----------------------------------------------------------------


def test_default_calendar_is_valid_hashable_and_eight_hours_a_day():
    validate_calendar(CAL)
    assert day_length(CAL) == 8 * H
    assert hash(CAL) == hash(BusinessCalendar())
    assert {CAL, BusinessCalendar()} == {CAL}


def test_calendar_decodes_from_json_with_string_weekday_keys():
    cal = msgspec.json.decode(
        b'{"tz": "Europe/Berlin", "weekly": {"0": ["08:00-16:00"]},'
        b' "holidays": ["2026-12-25"]}',
        type=BusinessCalendar,
    )
    assert cal.weekly == {0: ["08:00-16:00"]}
    assert cal.holidays == frozenset({date(2026, 12, 25)})
    assert day_length(cal) == 8 * H


@pytest.mark.parametrize(
    ("cal", "field"),
    [
        (BusinessCalendar(tz="Mars/Olympus_Mons"), "tz"),
        (BusinessCalendar(tz=""), "tz"),
        (BusinessCalendar(weekly={0: ["9-12"]}), "weekly[0]"),
        (BusinessCalendar(weekly={0: ["09:00-25:00"]}), "weekly[0]"),
        (BusinessCalendar(weekly={0: ["09:70-10:00"]}), "weekly[0]"),
        (BusinessCalendar(weekly={1: ["18:00-09:00"]}), "weekly[1]"),
        (BusinessCalendar(weekly={1: ["09:00-09:00"]}), "weekly[1]"),
        (BusinessCalendar(weekly={2: ["09:00-12:00", "11:00-14:00"]}), "weekly[2]"),
        (BusinessCalendar(weekly={7: ["09:00-12:00"]}), "weekly"),
        (BusinessCalendar(weekly={}), "weekly"),
        (BusinessCalendar(weekly={0: [], 6: []}), "weekly"),
        (BusinessCalendar(extra_day_hours=["nine to five"]), "extra_day_hours"),
        (BusinessCalendar(business_day_minutes=0), "business_day_minutes"),
        (
            BusinessCalendar(
                holidays=frozenset({date(2026, 10, 1)}),
                extra_workdays=frozenset({date(2026, 10, 1)}),
            ),
            "extra_workdays",
        ),
    ],
)
def test_bad_calendars_are_refused_with_the_field(cal, field):
    with pytest.raises(ValidationError) as info:
        validate_calendar(cal)
    assert info.value.field == field


def test_touching_slots_and_24_00_are_accepted():
    cal = BusinessCalendar(weekly={0: ["00:00-12:00", "12:00-24:00"]})
    validate_calendar(cal)
    assert day_length(cal) == 24 * H
    monday = sh(2026, 6, 1, 0, 0)
    assert business_time_between(cal, monday, monday + 48 * H) == 24 * H


def test_day_length_is_the_longest_weekday_or_the_configured_minutes():
    cal = BusinessCalendar(weekly={0: ["09:00-12:00"], 5: ["10:00-20:00"]})
    assert day_length(cal) == 10 * H
    assert day_length(msgspec.structs.replace(cal, business_day_minutes=450)) == 450 * M


def test_naive_datetimes_are_refused():
    with pytest.raises(ValidationError):
        is_business_time(CAL, datetime(2026, 6, 1, 10, 0))


def test_negative_amount_is_refused():
    with pytest.raises(ValidationError):
        add_business_time(CAL, sh(2026, 6, 1, 10, 0), -H)


# --- hours, weekends, lunch breaks ----------------------------------------------------------


@pytest.mark.parametrize(
    ("wall", "inside"),
    [
        ((2026, 6, 1, 8, 59), False),  # Monday before opening
        ((2026, 6, 1, 9, 0), True),
        ((2026, 6, 1, 11, 59), True),
        ((2026, 6, 1, 12, 0), False),  # lunch: slot end is exclusive
        ((2026, 6, 1, 12, 30), False),
        ((2026, 6, 1, 13, 0), True),
        ((2026, 6, 1, 18, 0), False),
        ((2026, 6, 6, 10, 0), False),  # Saturday
        ((2026, 6, 7, 10, 0), False),  # Sunday
    ],
)
def test_is_business_time(wall, inside):
    assert is_business_time(CAL, sh(*wall)) is inside


def test_next_business_moment():
    assert next_business_moment(CAL, sh(2026, 6, 1, 10, 0)) == sh(2026, 6, 1, 10, 0)
    assert next_business_moment(CAL, sh(2026, 6, 1, 7, 0)) == sh(2026, 6, 1, 9, 0)
    assert next_business_moment(CAL, sh(2026, 6, 1, 12, 0)) == sh(2026, 6, 1, 13, 0)
    assert next_business_moment(CAL, sh(2026, 6, 5, 18, 0)) == sh(2026, 6, 8, 9, 0)
    assert next_business_moment(CAL, sh(2026, 6, 6, 15, 0)) == sh(2026, 6, 8, 9, 0)


def test_results_are_utc_even_for_other_zones_in():
    t = datetime(2026, 6, 1, 10, 0, tzinfo=SHANGHAI)
    out = add_business_time(CAL, t, H)
    assert out.utcoffset() == timedelta(0)
    assert out == sh(2026, 6, 1, 11, 0)


def test_add_skips_the_lunch_break():
    assert add_business_time(CAL, sh(2026, 6, 1, 11, 0), 2 * H) == sh(2026, 6, 1, 14, 0)


def test_add_may_end_exactly_at_a_slot_end():
    # documented choice: a due instant of 12:00 / 18:00 stays there, it is not pushed on
    assert add_business_time(CAL, sh(2026, 6, 1, 11, 0), H) == sh(2026, 6, 1, 12, 0)
    assert add_business_time(CAL, sh(2026, 6, 5, 17, 0), H) == sh(2026, 6, 5, 18, 0)


def test_add_over_the_weekend():
    assert add_business_time(CAL, sh(2026, 6, 5, 17, 0), 2 * H) == sh(2026, 6, 8, 10, 0)


def test_add_from_outside_hours_starts_at_the_next_slot():
    assert add_business_time(CAL, sh(2026, 6, 6, 3, 0), 4 * H) == sh(2026, 6, 8, 14, 0)
    assert add_business_time(CAL, sh(2026, 6, 1, 20, 0), H) == sh(2026, 6, 2, 10, 0)


def test_add_zero_is_the_next_business_moment():
    assert add_business_time(CAL, sh(2026, 6, 6, 3, 0), timedelta(0)) == sh(2026, 6, 8, 9, 0)
    assert add_business_time(CAL, sh(2026, 6, 1, 10, 0), timedelta(0)) == sh(2026, 6, 1, 10, 0)


def test_between():
    assert business_time_between(CAL, sh(2026, 6, 1, 9, 0), sh(2026, 6, 1, 18, 0)) == 8 * H
    assert business_time_between(CAL, sh(2026, 6, 5, 17, 0), sh(2026, 6, 8, 10, 0)) == 2 * H
    assert business_time_between(CAL, sh(2026, 6, 6, 0, 0), sh(2026, 6, 8, 0, 0)) == timedelta(0)
    assert business_time_between(CAL, sh(2026, 6, 8, 0, 0), sh(2026, 6, 1, 0, 0)) == timedelta(0)


def test_between_months_apart_is_quick_and_exact():
    # 2026-06-01 (Mon) .. 2026-09-28 (Mon) is 17 whole weeks
    start, end = sh(2026, 6, 1, 0, 0), sh(2026, 9, 28, 0, 0)
    assert business_time_between(CAL, start, end) == 17 * 5 * 8 * H


def test_add_five_business_days():
    five_days = target_duration(CAL, Target(5, "days"))
    assert five_days == 40 * H
    assert add_business_time(CAL, sh(2026, 6, 1, 10, 0), five_days) == sh(2026, 6, 8, 10, 0)


def test_end_of_business_day():
    assert end_of_business_day(CAL, sh(2026, 6, 1, 7, 0)) == sh(2026, 6, 1, 18, 0)
    assert end_of_business_day(CAL, sh(2026, 6, 1, 12, 30)) == sh(2026, 6, 1, 18, 0)
    assert end_of_business_day(CAL, sh(2026, 6, 1, 18, 0)) == sh(2026, 6, 2, 18, 0)
    assert end_of_business_day(CAL, sh(2026, 6, 5, 20, 0)) == sh(2026, 6, 8, 18, 0)
    assert end_of_business_day(CAL, sh(2026, 6, 6, 10, 0)) == sh(2026, 6, 8, 18, 0)


# --- holidays and make-up workdays (调休) -----------------------------------------------------

# National Day week 2026: Thu 1 Oct .. Wed 7 Oct off; Sunday 27 Sep and Saturday 10 Oct worked.
NATIONAL_DAY = BusinessCalendar(
    holidays=frozenset(date(2026, 10, day) for day in range(1, 8)),
    extra_workdays=frozenset({date(2026, 9, 27), date(2026, 10, 10)}),
)


def test_holidays_have_no_business_hours():
    assert not is_business_time(NATIONAL_DAY, sh(2026, 10, 5, 10, 0))  # a Monday
    assert next_business_moment(NATIONAL_DAY, sh(2026, 9, 30, 18, 0)) == sh(2026, 10, 8, 9, 0)
    assert add_business_time(NATIONAL_DAY, sh(2026, 9, 30, 17, 0), 2 * H) == sh(2026, 10, 8, 10, 0)


def test_make_up_workday_on_a_weekend_counts():
    assert date(2026, 9, 27).weekday() == 6
    assert is_business_time(NATIONAL_DAY, sh(2026, 9, 27, 10, 0))
    assert not is_business_time(CAL, sh(2026, 9, 27, 10, 0))
    assert not is_business_time(NATIONAL_DAY, sh(2026, 9, 27, 12, 30))  # lunch there too
    friday_five = sh(2026, 9, 25, 17, 0)
    assert add_business_time(NATIONAL_DAY, friday_five, 2 * H) == sh(2026, 9, 27, 10, 0)
    assert add_business_time(CAL, friday_five, 2 * H) == sh(2026, 9, 28, 10, 0)
    # 28 Sep .. 11 Oct: Mon-Wed 28-30 Sep, Thu-Fri 8-9 Oct and Saturday 10 Oct
    fortnight = business_time_between(NATIONAL_DAY, sh(2026, 9, 28, 0, 0), sh(2026, 10, 12, 0, 0))
    assert fortnight == (3 + 2 + 1) * 8 * H


def test_extra_workday_uses_extra_day_hours():
    cal = msgspec.structs.replace(NATIONAL_DAY, extra_day_hours=["10:00-16:00"])
    assert business_time_between(cal, sh(2026, 9, 27, 0, 0), sh(2026, 9, 28, 0, 0)) == 6 * H


def test_end_of_business_day_skips_holidays():
    assert end_of_business_day(NATIONAL_DAY, sh(2026, 10, 1, 10, 0)) == sh(2026, 10, 8, 18, 0)


# --- DST (Europe/Berlin: 2026-03-29 and 2026-10-25 are the switch Sundays) --------------------

BERLIN_CAL = BusinessCalendar(tz="Europe/Berlin", weekly={d: ["08:00-17:00"] for d in range(5)})
BERLIN_ALWAYS = BusinessCalendar(tz="Europe/Berlin", weekly={d: ["00:00-24:00"] for d in range(7)})


def test_wall_clock_hours_follow_dst():
    # Friday 16:00 CET + 2 h -> Monday 09:00 CEST: the UTC offset changed over the weekend
    due = add_business_time(BERLIN_CAL, be(2026, 3, 27, 16, 0), 2 * H)
    assert due == be(2026, 3, 30, 9, 0)
    assert due == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    assert is_business_time(BERLIN_CAL, datetime(2026, 3, 27, 7, 0, tzinfo=UTC))  # 08:00 CET
    assert not is_business_time(BERLIN_CAL, datetime(2026, 3, 30, 5, 30, tzinfo=UTC))  # 07:30 CEST


def test_dst_days_are_23_and_25_hours_long():
    spring = business_time_between(BERLIN_ALWAYS, be(2026, 3, 29, 0, 0), be(2026, 3, 30, 0, 0))
    autumn = business_time_between(BERLIN_ALWAYS, be(2026, 10, 25, 0, 0), be(2026, 10, 26, 0, 0))
    assert (spring, autumn) == (23 * H, 25 * H)
    assert add_business_time(BERLIN_ALWAYS, be(2026, 3, 29, 0, 0), 23 * H) == be(2026, 3, 30, 0, 0)


def test_a_slot_across_the_spring_gap_is_an_hour_shorter():
    cal = BusinessCalendar(tz="Europe/Berlin", weekly={6: ["01:00-04:00"]})
    sunday = be(2026, 3, 29, 0, 0)
    assert business_time_between(cal, sunday, sunday + 24 * H) == 2 * H
    assert add_business_time(cal, sunday, 2 * H) == be(2026, 3, 29, 4, 0)


# --- targets ---------------------------------------------------------------------------------


def test_targets():
    assert target_duration(CAL, Target(4, "hours")) == 4 * H
    assert target_duration(CAL, Target(90, "minutes")) == 90 * M
    assert target_duration(CAL, Target(1, "days")) == day_length(CAL) == 8 * H
    shorter = msgspec.structs.replace(CAL, business_day_minutes=420)
    assert target_duration(shorter, Target(3, "days")) == 21 * H
    with pytest.raises(ValidationError) as info:
        target_duration(CAL, Target(1, "weeks"))
    assert info.value.field == "unit"
    with pytest.raises(ValidationError):
        target_duration(CAL, Target(-1, "hours"))


def test_a_one_day_target_from_mid_morning_is_due_next_morning():
    due = add_business_time(CAL, sh(2026, 6, 1, 10, 0), target_duration(CAL, Target(1, "days")))
    assert due == sh(2026, 6, 2, 10, 0)


# --- clock state -----------------------------------------------------------------------------


def test_running_clock():
    state = clock_state(
        CAL, started_at=sh(2026, 6, 1, 10, 0), target=4 * H, pauses=[], now=sh(2026, 6, 1, 13, 0)
    )
    assert state == ClockState(
        due_at=sh(2026, 6, 1, 15, 0),
        remaining=2 * H,
        elapsed=2 * H,
        target=4 * H,
        breached=False,
        paused=False,
        stopped=False,
    )
    assert fraction_left(state) == 0.5


def test_breached_clock_has_negative_remaining():
    state = clock_state(
        CAL, started_at=sh(2026, 6, 1, 10, 0), target=H, pauses=[], now=sh(2026, 6, 1, 14, 0)
    )
    assert state.breached
    assert state.elapsed == 3 * H
    assert state.remaining == -2 * H
    assert state.due_at == sh(2026, 6, 1, 11, 0)
    assert fraction_left(state) == -2.0


def test_due_at_slot_end_is_breached_after_hours_with_nothing_remaining():
    state = clock_state(
        CAL, started_at=sh(2026, 6, 1, 17, 0), target=H, pauses=[], now=sh(2026, 6, 1, 18, 30)
    )
    assert state.due_at == sh(2026, 6, 1, 18, 0)
    assert state.remaining == timedelta(0)
    assert state.breached
    at_due = clock_state(
        CAL, started_at=sh(2026, 6, 1, 17, 0), target=H, pauses=[], now=sh(2026, 6, 1, 18, 0)
    )
    assert not at_due.breached


def test_closed_pause_moves_the_due_time_and_keeps_time_left():
    state = clock_state(
        CAL,
        started_at=sh(2026, 6, 1, 9, 0),
        target=4 * H,
        pauses=[Pause(sh(2026, 6, 1, 10, 0), sh(2026, 6, 1, 14, 0))],  # 3 business hours
        now=sh(2026, 6, 1, 15, 0),
    )
    assert state.elapsed == 2 * H
    assert state.remaining == 2 * H
    assert state.due_at == sh(2026, 6, 1, 17, 0)
    assert not state.paused and not state.breached


def test_open_pause_freezes_the_clock():
    started = sh(2026, 6, 1, 9, 0)
    pauses = [Pause(sh(2026, 6, 1, 10, 0))]
    states = [
        clock_state(CAL, started_at=started, target=4 * H, pauses=pauses, now=now)
        for now in (sh(2026, 6, 1, 11, 0), sh(2026, 6, 5, 17, 0))
    ]
    for state in states:
        assert state.paused
        assert state.due_at is None
        assert state.elapsed == H
        assert state.remaining == 3 * H
        assert not state.breached


def test_pause_after_a_breach_does_not_move_the_due_time():
    state = clock_state(
        CAL,
        started_at=sh(2026, 6, 1, 9, 0),
        target=H,
        pauses=[Pause(sh(2026, 6, 1, 11, 0), sh(2026, 6, 1, 14, 0))],
        now=sh(2026, 6, 1, 15, 0),
    )
    assert state.due_at == sh(2026, 6, 1, 10, 0)
    assert state.breached
    assert state.elapsed == 3 * H  # 09-11 and 14-15


def test_overlapping_pauses_count_once():
    started, now = sh(2026, 6, 1, 9, 0), sh(2026, 6, 1, 17, 0)
    one = clock_state(
        CAL, started_at=started, target=8 * H, now=now,
        pauses=[Pause(sh(2026, 6, 1, 10, 0), sh(2026, 6, 1, 15, 0))],
    )
    two = clock_state(
        CAL, started_at=started, target=8 * H, now=now,
        pauses=[
            Pause(sh(2026, 6, 1, 13, 0), sh(2026, 6, 1, 15, 0)),
            Pause(sh(2026, 6, 1, 10, 0), sh(2026, 6, 1, 14, 0)),
        ],
    )
    assert one == two
    assert one.elapsed == 3 * H  # 7 business hours, 4 of them paused


def test_stopped_clock():
    met = clock_state(
        CAL, started_at=sh(2026, 6, 1, 9, 0), target=4 * H, pauses=[],
        now=sh(2026, 6, 3, 9, 0), stopped_at=sh(2026, 6, 1, 11, 0),
    )
    assert met.stopped and not met.breached and not met.paused
    assert met.elapsed == 2 * H and met.remaining == 2 * H
    late = clock_state(
        CAL, started_at=sh(2026, 6, 1, 9, 0), target=H, pauses=[Pause(sh(2026, 6, 1, 12, 30))],
        now=sh(2026, 6, 3, 9, 0), stopped_at=sh(2026, 6, 1, 11, 0),
    )
    assert late.stopped and late.breached and not late.paused
    assert late.due_at == sh(2026, 6, 1, 10, 0)


def test_fraction_left_is_capped_at_one_and_zero_targets_are_defined():
    fresh = clock_state(
        CAL, started_at=sh(2026, 6, 6, 9, 0), target=H, pauses=[], now=sh(2026, 6, 6, 10, 0)
    )
    assert fraction_left(fresh) == 1.0
    zero = clock_state(
        CAL, started_at=sh(2026, 6, 1, 9, 0), target=timedelta(0), pauses=[],
        now=sh(2026, 6, 1, 10, 0),
    )
    assert zero.breached and fraction_left(zero) == -1.0


# --- properties ------------------------------------------------------------------------------

ZONES = [
    "Asia/Shanghai",
    "Europe/Berlin",
    "America/New_York",
    "UTC",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "America/Santiago",  # DST switches at midnight
]
QUARTERS = list(range(0, 24 * 60 + 1, 15))


def _slot_text(start: int, end: int) -> str:
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


@st.composite
def day_slots(draw) -> list[str]:
    bounds = sorted(draw(st.sets(st.sampled_from(QUARTERS), max_size=6)))
    if len(bounds) % 2:
        bounds = bounds[:-1]
    return [_slot_text(bounds[i], bounds[i + 1]) for i in range(0, len(bounds), 2)]


@st.composite
def calendars(draw) -> BusinessCalendar:
    weekly = {weekday: draw(day_slots()) for weekday in range(7)}
    if not any(weekly.values()):
        weekly[draw(st.integers(0, 6))] = ["09:00-17:00"]
    days = st.dates(date(2025, 6, 1), date(2027, 6, 1))
    holidays = draw(st.frozensets(days, max_size=15))
    extra = draw(st.frozensets(days, max_size=5)) - holidays
    extra_hours = draw(day_slots()) or ["10:00-15:00"]
    return BusinessCalendar(
        tz=draw(st.sampled_from(ZONES)),
        weekly=weekly,
        holidays=holidays,
        extra_workdays=extra,
        extra_day_hours=extra_hours,
    )


any_calendar = st.one_of(
    st.sampled_from([CAL, NATIONAL_DAY, BERLIN_CAL, BERLIN_ALWAYS]),
    calendars(),
)
instants = st.datetimes(
    min_value=datetime(2025, 6, 1), max_value=datetime(2027, 6, 1), timezones=st.just(UTC)
)


def amounts(cal: BusinessCalendar, *, min_seconds: int = 0):
    return st.integers(min_seconds, int(day_length(cal).total_seconds()) * 8).map(
        lambda s: timedelta(seconds=s)
    )


PROPERTY = settings(max_examples=200, deadline=None)


def _in_hours_or_at_slot_end(cal: BusinessCalendar, t: datetime) -> bool:
    return is_business_time(cal, t) or is_business_time(cal, t - timedelta(microseconds=1))


@PROPERTY
@given(data=st.data(), cal=any_calendar, start=instants)
def test_due_time_is_inside_hours_or_at_a_slot_end(data, cal, start):
    amount = data.draw(amounts(cal))
    due = add_business_time(cal, start, amount)
    assert due >= start
    assert due.tzinfo is not None and due.utcoffset() == timedelta(0)
    assert _in_hours_or_at_slot_end(cal, due)


@PROPERTY
@given(data=st.data(), cal=any_calendar, start=instants)
def test_more_time_is_never_due_earlier(data, cal, start):
    a = data.draw(amounts(cal))
    b = data.draw(amounts(cal))
    small, big = sorted((a, b))
    assert add_business_time(cal, start, small) <= add_business_time(cal, start, big)


@PROPERTY
@given(data=st.data(), cal=any_calendar, start=instants)
def test_between_undoes_add(data, cal, start):
    amount = data.draw(amounts(cal, min_seconds=1))
    assert business_time_between(cal, start, add_business_time(cal, start, amount)) == amount


@PROPERTY
@given(cal=any_calendar, a=instants, b=instants, c=instants)
def test_between_is_additive(cal, a, b, c):
    a, b, c = sorted((a, b, c))
    total = business_time_between(cal, a, c)
    assert total == business_time_between(cal, a, b) + business_time_between(cal, b, c)
    assert total <= c - a


@PROPERTY
@given(cal=any_calendar, t=instants)
def test_next_business_moment_is_business_time_with_none_skipped(cal, t):
    moment = next_business_moment(cal, t)
    assert is_business_time(cal, moment)
    assert business_time_between(cal, t, moment) == timedelta(0)


@st.composite
def clock_scenarios(draw):
    cal = draw(any_calendar)
    started = draw(instants)
    span = timedelta(seconds=draw(st.integers(0, 30 * 24 * 3600)))
    now = started + span
    target = draw(amounts(cal))
    offsets = st.integers(0, int(span.total_seconds())).map(lambda s: timedelta(seconds=s))
    pauses = []
    for _ in range(draw(st.integers(0, 3))):
        x, y = sorted((draw(offsets), draw(offsets)))
        pauses.append(Pause(started + x, started + y))
    extra_start = started + draw(offsets)
    extra_end = draw(st.one_of(st.none(), offsets.map(lambda o: started + o)))
    if extra_end is not None:
        extra_start, extra_end = min(extra_start, extra_end), max(extra_start, extra_end)
    return cal, started, now, target, pauses, Pause(extra_start, extra_end)


@PROPERTY
@given(clock_scenarios())
def test_pausing_never_shortens_the_time_left(scenario):
    cal, started, now, target, pauses, extra = scenario
    before = clock_state(cal, started_at=started, target=target, pauses=pauses, now=now)
    after = clock_state(cal, started_at=started, target=target, pauses=[*pauses, extra], now=now)
    assert after.remaining >= before.remaining
    assert after.elapsed <= before.elapsed
    if before.due_at is not None and after.due_at is not None:
        assert after.due_at >= before.due_at
    assert before.remaining == before.target - before.elapsed
    if not before.paused:
        assert before.breached == (now > before.due_at)
