"""`shopdesk incident …`: declare an incident (紧急状态), its response team, link cases, act on them
all at once, mark it stable, close it with its review, export the review.

Bulk actions print what they did; each refused case is one line on stderr (`REF: why`) and the
exit code is 2 when any was refused. Progress goes to stderr when it is a terminal. A bulk action
interrupted (Ctrl+C, a kill) is finished by running the same command again: cases already done are
not done twice.

Only the standard library at module level (see shopdesk.cli.cases).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shopdesk.cli import Context
    from shopdesk.services import Services

INC_HELP = "the incident: I-0003, i-3 or 3"


def register(subparsers: argparse._SubParsersAction) -> None:
    incident = subparsers.add_parser(
        "incident", help="declare and run incidents (紧急状态): link cases, bulk actions, review")
    commands = incident.add_subparsers(dest="incident_command", metavar="SUBCOMMAND",
                                       required=True)

    p = commands.add_parser("declare", help="declare an incident; prints its ref")
    p.add_argument("--type", required=True, metavar="T",
                   help="system_outage, carrier_outage, weather, supplier_delay, data_loss, "
                        "security, other")
    p.add_argument("--level", required=True, metavar="N", help="1, 2 or 3")
    p.add_argument("--title", required=True, metavar="TEXT")
    p.add_argument("--owner", metavar="NAME", help="who runs it (default: you)")
    p.add_argument("--description", default="", metavar="TEXT")
    p.set_defaults(handler=declare)

    p = commands.add_parser("list", help="incidents, active first")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=list_incidents)

    p = _with_ref(commands, "show", "an incident: team, filter, cases, timeline, figures", show)
    p.add_argument("--json", action="store_true")

    p = _with_ref(commands, "team", "the response team (应急小组): add or remove a member", team)
    p.add_argument("--add", metavar="NAME", help="an operator to add (again: change role/phone)")
    p.add_argument("--role", default="", metavar="ROLE", help="their role: lead, comms, …")
    p.add_argument("--phone", default="", metavar="PHONE")
    p.add_argument("--remove", metavar="NAME", help="an operator to remove")

    p = _with_ref(commands, "link", "link cases by ref or by filter (--preview: count only)", link,
                  "Link cases to the incident: the REFs given, or every case the filter matches "
                  "(active cases unless --status says otherwise). New cases matching the filter "
                  "join the incident as they arrive while it is active (--no-follow: not).")
    p.add_argument("refs", metavar="REF", nargs="*", help="cases to link")
    p.add_argument("--carrier", metavar="NAME")
    p.add_argument("--kind", action="append", metavar="K", help="a kind or group; repeatable")
    p.add_argument("--status", action="append", metavar="S", help="repeatable (default: active)")
    p.add_argument("--source", metavar="NAME", help="where the case came from (a source, api, …)")
    p.add_argument("--shipped-from", metavar="DATE", help="order shipped on or after (YYYY-MM-DD)")
    p.add_argument("--shipped-to", metavar="DATE", help="order shipped on or before (included)")
    p.add_argument("--place", metavar="TEXT", help="a province or city in the order's address")
    p.add_argument("--preview", action="store_true", help="say how many cases match; link none")
    p.add_argument("--no-follow", action="store_true",
                   help="do not take in new cases matching the filter")

    p = _with_ref(commands, "unlink", "unlink cases", unlink)
    p.add_argument("refs", metavar="REF", nargs="+")

    p = _with_ref(commands, "note", "add a note to every linked case", bulk("note"))
    p.add_argument("--text", required=True, metavar="TEXT")

    p = _with_ref(commands, "contact", "log a contact with every linked case's customer "
                  "(批量通知客户)", bulk("contact"))
    p.add_argument("--channel", default="sms", metavar="C", help="sms (default), email, phone …")
    p.add_argument("--template", metavar="ID", default="incident_notice",
                   help="the message sent (default incident_notice)")
    p.add_argument("--text", default="", metavar="TEXT", help="the summary (default: the template)")

    p = _with_ref(commands, "escalate", "escalate every linked case", bulk("escalate"))
    p.add_argument("--text", "--reason", dest="text", required=True, metavar="TEXT")

    p = _with_ref(commands, "resolve", "resolve every linked case with a summary", bulk("resolve"))
    p.add_argument("--text", "--summary", dest="text", required=True, metavar="TEXT")

    _with_ref(commands, "stable", "declare the incident under control (time to stable stops)",
              stable)

    p = _with_ref(commands, "close", "close a stable incident with its review (总结与改进)", close)
    p.add_argument("--cause", required=True, metavar="TEXT")
    p.add_argument("--impact", default="", metavar="TEXT", help="beyond the computed figures")
    p.add_argument("--lessons", default="", metavar="TEXT", help="what changes")

    p = _with_ref(commands, "review", "the review as Markdown (default) or CSV", review)
    p.add_argument("--format", choices=("md", "csv"), default="md")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    p.add_argument("--bom", action=argparse.BooleanOptionalAction, default=None,
                   help="CSV: start with a UTF-8 BOM (default: config csv_bom)")


def _with_ref(commands, name: str, help_text: str, handler, description: str | None = None):
    parser = commands.add_parser(name, help=help_text, description=description or help_text)
    parser.add_argument("incident", metavar="INCIDENT", help=INC_HELP)
    parser.set_defaults(handler=handler)
    return parser


def _run(ctx: Context, work) -> int:
    from shopdesk.cli.cases import _run_with_services

    return _run_with_services(ctx, work)


async def _actor(ctx: Context, services: Services):
    return await ctx.actor(services)


def _line(incident) -> str:
    from shopdesk.cli.cases import _terminal_safe

    incident = _terminal_safe(incident)
    return (f"{incident.ref}  {incident.status:<7} L{incident.level}  {incident.type:<15} "
            f"{incident.title}")


def declare(ctx: Context) -> int:
    from shopdesk.cli.cases import _levels

    args = ctx.args
    level = _levels([args.level])

    async def work(services: Services) -> int:
        incident = await services.incidents.declare(
            await _actor(ctx, services), title=args.title, type=args.type.strip(), level=level[0],
            description=args.description, owner=args.owner)
        print(incident.ref)
        return 0

    return _run(ctx, work)


def list_incidents(ctx: Context) -> int:
    async def work(services: Services) -> int:
        incidents = await services.incidents.list()
        if ctx.args.json:
            from shopdesk.cli.cases import _print_json

            import msgspec

            _print_json([dict(msgspec.to_builtins(incident),
                              cases=await services.incidents.count_cases(incident.id))
                         for incident in incidents])
            return 0
        if not incidents:
            print("no incidents declared")
        for incident in incidents:
            count = await services.incidents.count_cases(incident.id)
            print(f"{_line(incident)}  ({count} cases)")
        return 0

    return _run(ctx, work)


def show(ctx: Context) -> int:
    async def work(services: Services) -> int:
        import msgspec

        from shopdesk.cli.cases import _print_json, _terminal_safe
        from shopdesk.domain import incidents as rules
        from shopdesk.domain.filters import CaseFilter

        incident = await services.incidents.find(ctx.args.incident)
        review = await services.incidents.review(incident.id)
        cases = await services.cases.list(CaseFilter(incident_id=incident.id), limit=50)
        if ctx.args.json:
            payload = msgspec.to_builtins(review)
            payload["cases"] = [case.ref for case in cases]
            _print_json(payload)
            return 0
        review = _terminal_safe(review)
        impact = review.impact
        lines = [_line(review.incident), f"  owner {incident.owner or '—'}"]
        if incident.description:
            lines.append(f"  {review.incident.description}")
        if incident.case_filter is not None:
            lines.append("  new cases join by " + _filter_text(incident.case_filter))
        lines += [f"  cases {impact.cases}, orders {impact.orders}, customers contacted "
                  f"{impact.customers_contacted}, compensation "
                  f"{rules.compensation_text(impact.compensation)}, time to stable "
                  f"{rules.span_text(rules.time_to_stable(incident))}", "", "Team"]
        lines += [f"  {m.operator}  {m.role}  {m.phone}".rstrip() for m in review.team] or [
            "  none"]
        lines += ["", f"Cases ({impact.cases})"]
        lines += [f"  {case.ref}  {case.status:<9} {case.kind:<16} {case.order_number or '—'}"
                  for case in _terminal_safe(cases)] or ["  none"]
        if impact.cases > len(cases):
            lines.append(f"  … and {impact.cases - len(cases)} more (cases list)")
        lines += ["", "Timeline"]
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(services.settings.timezone)
        lines += [f"  {event.at.astimezone(zone):%Y-%m-%d %H:%M}  {event.actor}  "
                  f"{rules.event_text(event)}" for event in review.timeline]
        print("\n".join(lines))
        return 0

    return _run(ctx, work)


def _filter_text(case_filter) -> str:
    import msgspec

    from shopdesk.domain.incidents import filter_text

    return filter_text(msgspec.to_builtins(case_filter))


def team(ctx: Context) -> int:
    args = ctx.args

    async def work(services: Services) -> int:
        from shopdesk.cli.cases import _terminal_safe

        incident = await services.incidents.find(args.incident)
        actor = await _actor(ctx, services)
        if args.add:
            members = await services.incidents.add_member(
                actor, incident.id, operator=args.add, role=args.role, phone=args.phone)
        elif args.remove:
            members = await services.incidents.remove_member(actor, incident.id, args.remove)
        else:
            members = await services.incidents.team(incident.id)
        for member in _terminal_safe(members):
            print(f"{member.operator}  {member.role}  {member.phone}".rstrip())
        if not members:
            print("no team yet (team INCIDENT --add NAME --role ROLE --phone PHONE)")
        return 0

    return _run(ctx, work)


def link(ctx: Context) -> int:
    from shopdesk.domain.errors import ValidationError

    args = ctx.args
    criteria = (args.carrier, args.kind, args.status, args.source, args.shipped_from,
                args.shipped_to, args.place)
    if args.refs and any(criteria):
        raise ValidationError("link by REFs or by a filter, not both", field="refs")

    async def work(services: Services) -> int:
        from shopdesk.services.incidents import link_filter_from_text

        incident = await services.incidents.find(args.incident)
        actor = await _actor(ctx, services)
        if args.refs:
            if args.preview:
                print(f"{len(args.refs)} case(s) named")
                return 0
            result = await services.incidents.link_refs(actor, incident.id, args.refs)
            print(f"{result.linked} case(s) linked to {incident.ref}"
                  + (f" ({result.matched - result.linked} already were)"
                     if result.matched > result.linked else ""))
            return 0
        case_filter = link_filter_from_text(
            services.settings.timezone, carrier=args.carrier, kinds=args.kind,
            statuses=args.status, source=args.source, shipped_from=args.shipped_from,
            shipped_to=args.shipped_to, place=args.place)
        if args.preview:
            count = await services.incidents.preview(case_filter)
            print(f"{count} case(s) match; nothing linked (run without --preview to link them)")
            return 0
        result = await services.incidents.link_filter(actor, incident.id, case_filter,
                                                      follow=not args.no_follow)
        print(f"{result.linked} case(s) linked to {incident.ref}"
              + (f" ({result.matched - result.linked} already were)"
                 if result.matched > result.linked else ""))
        if result.follows:
            print("new cases matching the filter join it as they arrive while it is active")
        return 0

    return _run(ctx, work)


def unlink(ctx: Context) -> int:
    async def work(services: Services) -> int:
        incident = await services.incidents.find(ctx.args.incident)
        count = await services.incidents.unlink(await _actor(ctx, services), incident.id,
                                                ctx.args.refs)
        print(f"{count} case(s) unlinked from {incident.ref}")
        return 0

    return _run(ctx, work)


def bulk(action: str):
    def handler(ctx: Context) -> int:
        args = ctx.args

        async def work(services: Services) -> int:
            incident = await services.incidents.find(args.incident)
            show_progress = sys.stderr.isatty()

            def progress(done: int, total: int) -> None:
                if show_progress and total:
                    sys.stderr.write(f"\r{action}: {done}/{total}")
                    sys.stderr.flush()

            result = await services.incidents.bulk(
                await _actor(ctx, services), incident.id, action, text=args.text,
                channel=getattr(args, "channel", "sms"),
                template=getattr(args, "template", None), progress=progress)
            if show_progress:
                sys.stderr.write("\n")
            before = (f", {result.done_before} done before an interruption"
                      if result.done_before else "")
            print(f"{action} on {incident.ref}: {result.done} case(s) done{before}, "
                  f"{len(result.refused)} refused (run {result.run})")
            for refused in result.refused:
                print(f"{refused.ref}: {refused.detail}", file=sys.stderr)
            return 2 if result.refused else 0

        return _run(ctx, work)

    return handler


def stable(ctx: Context) -> int:
    async def work(services: Services) -> int:
        incident = await services.incidents.find(ctx.args.incident)
        incident = await services.incidents.stable(await _actor(ctx, services), incident.id)
        print(_line(incident))
        return 0

    return _run(ctx, work)


def close(ctx: Context) -> int:
    args = ctx.args

    async def work(services: Services) -> int:
        incident = await services.incidents.find(args.incident)
        incident = await services.incidents.close(
            await _actor(ctx, services), incident.id, cause=args.cause, impact=args.impact,
            lessons=args.lessons)
        print(_line(incident))
        return 0

    return _run(ctx, work)


def review(ctx: Context) -> int:
    args = ctx.args

    async def work(services: Services) -> int:
        incident = await services.incidents.find(args.incident)
        if args.format == "csv":
            text = await services.incidents.review_csv(incident.id, bom=args.bom)
        else:
            text = await services.incidents.review_markdown(incident.id)
        if args.output:
            from pathlib import Path

            Path(args.output).write_text(text, encoding="utf-8", newline="")
            print(f"review of {incident.ref} written to {args.output}")
        else:
            from shopdesk.cli.cases import _terminal_safe

            sys.stdout.write(_terminal_safe(text) if sys.stdout.isatty() else text)
        return 0

    return _run(ctx, work)
