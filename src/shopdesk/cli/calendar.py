"""`shopdesk calendar [--from DATE] [--to DATE] [--all] [--json] [--codes [COUNTRY]]`: the days of
the business calendar that are not ordinary, and why."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shopdesk.cli import Context


def register(subparsers: argparse._SubParsersAction) -> None:
    calendar = subparsers.add_parser(
        "calendar", help="holidays, make-up working days (调休) and other hours, with why",
        description="The days from --from to --to (default: today and the next 365 days) that "
        "are not ordinary: holidays (named), make-up working days (调休), days with other "
        "hours. --all lists every day. The calendar is the store's (`shopdesk config set "
        "calendar CN`). The language follows --lang, the config's lang or $LANG.",
    )
    calendar.add_argument("--from", dest="start", metavar="DATE", help="first day, YYYY-MM-DD")
    calendar.add_argument("--to", dest="end", metavar="DATE", help="last day, YYYY-MM-DD")
    calendar.add_argument("--all", action="store_true", help="every day, ordinary ones too")
    calendar.add_argument("--json", action="store_true", help="one JSON object per day, in a list")
    calendar.add_argument("--codes", nargs="?", const="", metavar="COUNTRY",
                          help="list the country codes `calendar` takes (or COUNTRY's subdivisions)")
    calendar.set_defaults(handler=show_calendar)


def _date(text: str, option: str):
    from datetime import date

    from shopdesk.domain.errors import ValidationError

    try:
        return date.fromisoformat(text.strip())
    except ValueError as error:
        raise ValidationError(f"{option} must be a date like 2026-10-01, not {text!r}",
                              field=option.lstrip("-")) from error


def show_calendar(ctx: Context) -> int:
    from datetime import timedelta

    from shopdesk.domain.errors import ValidationError

    args = ctx.args
    if args.codes is not None:
        return _list_codes(args.codes)
    start = _date(args.start, "--from") if args.start else None
    end = _date(args.end, "--to") if args.end else None
    if start and end and end < start:
        raise ValidationError(f"--to {end} is before --from {start}", field="to")
    if start and end and (end - start).days > 3660:
        raise ValidationError("at most ten years at a time (--from … --to)", field="to")

    async def work(services) -> int:
        import msgspec

        from shopdesk.tui.calendar_text import day_view, why
        from shopdesk.tui.i18n import CATALOGS, detect_language

        lang = detect_language(getattr(args, "lang", None) or services.settings.lang)
        words = CATALOGS[lang]
        first = start or services.calendar.today()
        last = end or first + timedelta(days=365)
        if last < first:
            raise ValidationError(f"--to {last} is before --from {first}", field="to")
        for year in services.calendar.uncovered(first, last):
            print("shopdesk: " + words["calendar.uncovered"].format(code=services.calendar.code,
                                                                    year=year), file=sys.stderr)
        if services.calendar.code is None:
            print("shopdesk: " + words["calendar.none"], file=sys.stderr)
        days = await services.calendar.days(first, last, every_day=args.all)
        if args.json:
            print(msgspec.json.encode([day_view(day, lang) for day in days]).decode())
            return 0
        if not days:
            print(words["calendar.nothing"].format(start=first, end=last))
        from shopdesk.cli.cases import display_width

        for day in days:
            hours = " ".join(day.hours) if day.hours else words["calendar.closed"]
            hours += " " * max(0, 24 - display_width(hours))
            print(f"{day.date.isoformat()} {day.date.strftime('%a')}  {hours} {why(day, lang)}"
                  .rstrip())
        return 0

    from shopdesk.cli.cases import _run_with_services

    return _run_with_services(ctx, work)


def _list_codes(country: str) -> int:
    from shopdesk.domain.errors import ValidationError
    from shopdesk.public_holidays import supported_codes

    codes = supported_codes()
    if country:
        subdivisions = codes.get(country.strip().upper())
        if subdivisions is None:
            raise ValidationError(f"unknown country code {country!r} (`shopdesk calendar "
                                  "--codes` lists them)", field="codes")
        print(" ".join(f"{country.strip().upper()}-{sub}" for sub in subdivisions)
              or f"{country.upper()} has no subdivisions")
        return 0
    for code, subdivisions in codes.items():
        print(f"{code}  ({len(subdivisions)} subdivisions)" if subdivisions else code)
    return 0
