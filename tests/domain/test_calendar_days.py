"""The business calendar from a country's public calendar (`calendar = "CN"`), with the shop's own
dates added or overriding, and the days `shopdesk calendar` lists."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shopdesk.config import Settings, validate
from shopdesk.domain.calendar_days import calendar_days, holiday_pushing, uncovered_years
from shopdesk.domain.errors import ValidationError
from shopdesk.domain.sla import is_business_time
from shopdesk.domain.sla_policy import compute_dues

SHANGHAI = ZoneInfo("Asia/Shanghai")


def cn(**values) -> Settings:
    return validate(Settings(calendar="CN", **values))


def working(settings: Settings, day: date) -> bool:
    return bool(calendar_days(settings.business_calendar(), None, day, day, every_day=True)[0].working)


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def test_china_2025_spring_festival_and_national_day_with_make_up_days():
    settings = cn()
    for day in (date(2025, 1, 28), date(2025, 1, 29), date(2025, 2, 3), date(2025, 2, 4),
                date(2025, 10, 1), date(2025, 10, 6), date(2025, 10, 8)):
        assert not working(settings, day), day
    # 调休: Sunday 26 January, Saturday 8 February, Sunday 28 September, Saturday 11 October
    for day in (date(2025, 1, 26), date(2025, 2, 8), date(2025, 9, 28), date(2025, 10, 11)):
        assert working(settings, day), day
    assert working(settings, date(2025, 10, 9))


def test_china_2026_national_day_with_its_sunday_and_saturday():
    settings = cn()
    calendar = settings.business_calendar()
    for offset in range(7):
        assert not working(settings, date(2026, 10, 1) + timedelta(days=offset))
    assert working(settings, date(2026, 9, 20))  # Sunday worked
    assert working(settings, date(2026, 10, 10))  # Saturday worked
    assert is_business_time(calendar, at(date(2026, 10, 10), 10))
    assert not working(settings, date(2026, 10, 11))  # an ordinary Sunday
    # Spring Festival 2026: 15-23 February off, 14 and 28 February worked
    assert not working(settings, date(2026, 2, 16))
    assert not working(settings, date(2026, 2, 23))
    assert working(settings, date(2026, 2, 14)) and working(settings, date(2026, 2, 28))


def test_days_listed_with_their_names_in_english_and_chinese():
    from shopdesk.tui.calendar_text import why

    settings = cn()
    calendar, public = settings.business_calendar(), settings.public_calendar()
    days = {d.date: d for d in calendar_days(calendar, public, date(2026, 9, 19), date(2026, 10, 11))}
    assert why(days[date(2026, 10, 1)], "en") == "National Day"
    assert not days[date(2026, 10, 1)].working
    assert why(days[date(2026, 10, 6)], "en").startswith("National Day: Day off")
    assert why(days[date(2026, 9, 20)], "en") == "make-up working day (调休)"
    assert days[date(2026, 9, 20)].hours == ["09:00-12:00", "13:00-18:00"]
    assert date(2026, 9, 21) not in days  # an ordinary Monday
    assert why(days[date(2026, 10, 1)], "zh") == "国庆节"
    assert why(days[date(2026, 10, 10)], "zh") == "调休上班"
    every = calendar_days(calendar, public, date(2026, 9, 21), date(2026, 9, 27), every_day=True)
    assert [d.working for d in every] == [True, True, True, True, False, False, False]
    assert why(every[6], "en") == "no business hours (weekly)"


def test_a_us_state():
    settings = validate(Settings(calendar="US-CA", timezone="America/Los_Angeles"))
    assert not working(settings, date(2026, 11, 26))  # Thanksgiving
    assert not working(settings, date(2026, 3, 31))  # Cesar Chavez Day, a California holiday
    assert working(settings, date(2026, 3, 30))
    assert not working(validate(Settings(calendar="US")), date(2026, 7, 3))  # Independence Day observed
    assert working(validate(Settings(calendar="US")), date(2026, 3, 31))  # not a federal holiday


def test_overrides_both_ways():
    # a shop open on a public holiday, and closed on a make-up working day
    settings = cn(extra_workdays=[date(2026, 10, 2)], holidays=[date(2026, 10, 10)])
    assert working(settings, date(2026, 10, 2))
    assert not working(settings, date(2026, 10, 10))
    # a date the package does not have: added
    assert not working(cn(holidays=[date(2026, 11, 11)]), date(2026, 11, 11))


def test_same_date_in_holidays_and_extra_workdays_is_refused_naming_both_keys():
    with pytest.raises(ValidationError) as caught:
        cn(holidays=[date(2026, 10, 2)], extra_workdays=[date(2026, 10, 2)])
    assert "holidays" in caught.value.detail and "extra_workdays" in caught.value.detail


@pytest.mark.parametrize("code", ["XX", "US-ZZ"])
def test_unknown_code_refused_naming_the_key_and_how_to_list_codes(code):
    with pytest.raises(ValidationError) as caught:
        validate(Settings(calendar=code))
    assert caught.value.field == "calendar"
    assert "calendar" in caught.value.detail and "shopdesk calendar --codes" in caught.value.detail


def test_a_year_the_package_does_not_cover_uses_weekends_and_config_dates():
    settings = cn(holidays=[date(2031, 2, 3)])
    public = settings.public_calendar()
    assert 2031 in uncovered_years(public, date(2026, 12, 1), date(2031, 12, 31))
    assert 2026 not in uncovered_years(public, date(2026, 12, 1), date(2031, 12, 31))
    assert working(settings, date(2031, 1, 23))  # a Thursday, whatever the package may estimate
    assert not working(settings, date(2031, 2, 3))


def test_l2_case_opened_before_national_day_2026():
    policy = cn().sla_policy()
    opened = at(date(2026, 9, 30), 17)
    dues = compute_dues(policy, level=2, kind="lost", urgent=False, status="open",
                        opened_at=opened, first_response_at=None, pauses=[])
    # 4 business hours: 17:00-18:00 on 30 September, then 09:00-12:00 on Thursday 8 October
    assert dues.first_response_due_at == at(date(2026, 10, 8), 12).astimezone(UTC)
    # 3 business days (24 h): 1 h + 8 h (8th) + 8 h (9th) + 7 h on Saturday 10 October (调休)
    assert dues.resolution_due_at == at(date(2026, 10, 10), 17).astimezone(UTC)
    assert dues.due_at == dues.first_response_due_at
    pushed = holiday_pushing(policy.calendar, cn().public_calendar(), opened, dues.due_at)
    assert pushed is not None and pushed.en == "National Day" and pushed.zh == "国庆节"


def test_without_calendar_nothing_changes():
    assert working(validate(Settings()), date(2026, 10, 1))
    assert Settings().public_calendar() is None
