"""A country's public calendar from the `holidays` package (maintained; 200+ countries; for China
the days off and the weekend working days, 调休), as data for the pure domain.

`calendar = "CN"` or `"US-CA"` (a country code, optionally with a subdivision) in the shop's
settings. A year the package has no official dates for yet (China publishes each year's schedule
in November) is left out: weekends and the shop's own dates count for it, and the log says so.
"""

from __future__ import annotations

import functools
import logging
from datetime import date, timedelta

from shopdesk.domain.calendar_days import DayName, PublicCalendar
from shopdesk.domain.errors import ValidationError

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())  # to the log file when one is configured, never the terminal

CODES_HINT = "`shopdesk calendar --codes` lists the codes"
FIRST_YEAR = 2015
YEARS_AHEAD = 5


def split_code(code: str) -> tuple[str, str | None]:
    country, _, subdiv = code.strip().partition("-")
    return country.upper(), (subdiv.upper() or None)


def _entity(country: str, subdiv: str | None, years: range, language: str | None):
    import holidays

    entity = holidays.country_holidays(country, subdiv=subdiv, years=[], language=None)
    language = language if language in (entity.supported_languages or ()) else None
    return holidays.country_holidays(country, subdiv=subdiv, years=years, language=language)


def check_code(code: str) -> str:
    """The code as the package spells it ("us-ca" -> "US-CA"); a code it does not know is
    refused, naming the key and how to list the codes."""
    import holidays

    country, subdiv = split_code(code)
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise ValidationError(
            f"calendar: unknown country code {code!r}; {CODES_HINT}", field="calendar"
        )
    if subdiv is not None and subdiv not in supported[country]:
        raise ValidationError(
            f"calendar: {country} has no subdivision {subdiv!r}; "
            f"`shopdesk calendar --codes {country}` lists them", field="calendar"
        )
    return f"{country}-{subdiv}" if subdiv else country


def supported_codes() -> dict[str, list[str]]:
    """Country code -> its subdivision codes."""
    import holidays

    return {code: list(subdivs) for code, subdivs in sorted(holidays.list_supported_countries().items())}


def _is_swap_or_observed(english: str) -> bool:
    return "substituted" in english or "(observed" in english


def _covered_years(entity, years: range) -> frozenset[int]:
    """Years the package has official dates for. A country whose schedule is announced each year
    (special dates, or weekend working days, in the package) is covered up to its last announced
    year; any other is covered for every year of its rules."""
    special = [year for year in getattr(entity, "special_public_holidays", {}) if year >= FIRST_YEAR]
    workday_years = {day.year for day in entity.weekend_workdays}
    announced = special or workday_years
    last = max([*special, *workday_years], default=None)
    start, end = getattr(entity, "start_year", years.start), getattr(entity, "end_year", years.stop)
    return frozenset(
        year for year in years
        if start <= year <= end and (not announced or last is None or year <= last)
    )


@functools.lru_cache(maxsize=16)
def public_calendar(code: str, first_year: int, last_year: int) -> PublicCalendar:
    """The public calendar of `code` for the years [first_year, last_year]."""
    check_code(code)
    country, subdiv = split_code(code)
    years = range(first_year, last_year + 1)
    english = _entity(country, subdiv, years, "en_US")
    chinese = _entity(country, subdiv, years, "zh_CN")
    covered = _covered_years(english, years)
    names: dict[date, DayName] = {}
    for day in sorted(english):
        if day.year not in covered:
            continue
        en = "; ".join(english.get_list(day))
        zh = "；".join(chinese.get_list(day)) if day in chinese else en
        names[day] = DayName(en=en, zh=zh)
    workday_names = {
        day: DayName(en="make-up working day (调休)", zh="调休上班")
        for day in sorted(english.weekend_workdays) if day.year in covered
    }
    holidays_named = _with_blocks(names, frozenset(workday_names))
    uncovered = [year for year in years if year not in covered]
    if uncovered:
        log.warning("calendar %s: the holidays package has no official dates from %d on; weekends "
                    "and the config's dates count for those years", code, uncovered[0])
    return PublicCalendar(code=code, holidays=holidays_named, workdays=workday_names,
                          covered_years=covered, looked_up_years=(first_year, last_year))


def _with_blocks(names: dict[date, DayName], workdays: frozenset[date]) -> dict[date, DayName]:
    """Name each swapped or observed day off after the festival of its run of days off (a run:
    consecutive holidays and weekend days, no make-up working day between)."""
    out = dict(names)
    for day, name in names.items():
        if not _is_swap_or_observed(name.en):
            continue
        festival = _festival_near(names, workdays, day)
        if festival is not None:
            out[day] = DayName(en=name.en, zh=name.zh, en_block=festival.en, zh_block=festival.zh)
    return out


def _festival_near(names: dict[date, DayName], workdays: frozenset[date], day: date) -> DayName | None:
    for step in (-1, 1):
        probe = day
        for _ in range(10):
            probe += timedelta(days=step)
            if probe in workdays or (probe not in names and probe.weekday() < 5):
                break
            found = names.get(probe)
            if found is not None and not _is_swap_or_observed(found.en):
                return found
    return None


def looked_up_years(today: date) -> tuple[int, int]:
    """The years a settings load looks up: from FIRST_YEAR to YEARS_AHEAD after today."""
    return min(FIRST_YEAR, today.year), today.year + YEARS_AHEAD
