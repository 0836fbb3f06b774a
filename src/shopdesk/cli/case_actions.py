"""`shopdesk cases ACTION REF …`: every case action of the TUI from a command line, calling the same
service methods (so the same refusals: one line on stderr, exit 2). Each prints the case's new
state (`--json`: the case as JSON).

Only the standard library at module level (see shopdesk.cli.cases).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shopdesk.cli import Context
    from shopdesk.domain.cases import Case
    from shopdesk.services import Services

REF_HELP = "the case: C-000012 or c-12 (a bare 12 only when no order, tracking number or phone is 12)"
WAIT_ON = ("customer", "carrier", "supplier", "warehouse", "platform")


def _action(commands, name: str, help_text: str, handler, description: str | None = None):
    parser = commands.add_parser(name, help=help_text, description=description or help_text)
    parser.add_argument("ref", metavar="REF", help=REF_HELP)
    parser.set_defaults(handler=handler)
    return parser


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--expect-version", type=int, metavar="N", dest="expected_version",
                        help="refuse if the case changed since you read version N")
    parser.add_argument("--json", action="store_true", help="print the case as JSON")


def register(commands: argparse._SubParsersAction) -> None:
    """Adds the action subcommands to `shopdesk cases`."""
    p = _action(commands, "triage", "acknowledge a case (new → open), with its kind, level, urgency",
                triage)
    p.add_argument("--kind", metavar="K", help="reclassify: lost, damaged, complaint, …")
    p.add_argument("--level", metavar="N", help="regrade: 1, 2 or 3")
    urgency = p.add_mutually_exclusive_group()
    urgency.add_argument("--urgent", dest="urgent", action="store_const", const=True)
    urgency.add_argument("--not-urgent", dest="urgent", action="store_const", const=False)
    _common(p)

    p = _action(commands, "assign", "assign the case to an operator (me: yourself)", assign)
    p.add_argument("assignee", metavar="NAME", nargs="?", default=None,
                   help="the operator; 'me' for yourself; leave out with --nobody")
    p.add_argument("--nobody", action="store_true", help="unassign the case")
    _common(p)

    p = _action(commands, "note", "add a note to the case's timeline", note)
    p.add_argument("text", metavar="TEXT", help="the note")
    _common(p)

    p = _action(commands, "contact", "log a contact with the customer (沟通与反馈)", contact,
                "Log a contact with the customer. The first outbound contact is the case's first "
                "response. With --template and no --summary the summary says it was sent.")
    p.add_argument("--channel", required=True, metavar="C", help="phone, sms, email, chat, platform")
    p.add_argument("--direction", default="outbound", metavar="D", help="outbound (default) or inbound")
    p.add_argument("--summary", default="", metavar="TEXT", help="what was said")
    p.add_argument("--template", metavar="ID",
                   help="apology, delay_notice, refund_notice, out_of_stock_notice, incident_notice")
    p.add_argument("--follow-up", default="", metavar="WHEN",
                   help="next follow-up: 2h, 1d (business time) or 2026-12-01 10:00")
    _common(p)

    p = _action(commands, "remedy", "propose a remedy (refund, reship, coupon …)", remedy,
                "Propose a remedy. Within your approval limit it is approved at once; above it, "
                "it awaits a supervisor (`cases approve`).")
    p.add_argument("--type", required=True, metavar="T",
                   help="refund_full, refund_partial, reship, replace, coupon, discount, gift, "
                        "cashback, expedite, reschedule")
    p.add_argument("--amount", default="", metavar="X", help="e.g. 12.50 (refunds, coupons …)")
    p.add_argument("--currency", default="", metavar="CUR", help="default: the order's currency")
    p.add_argument("--note", default="", metavar="TEXT")
    _common(p)

    for name, verb, what in (("approve", "approve", "approve a proposed remedy (a supervisor)"),
                             ("reject", "reject", "reject a remedy (a supervisor)"),
                             ("done", "complete", "mark an approved remedy done")):
        p = _action(commands, name, what, decide_remedy)
        p.set_defaults(remedy_action=verb)
        p.add_argument("--remedy", type=int, metavar="ID",
                       help="the remedy's number (#12); needed when the case has several")
        if name == "reject":
            p.add_argument("--reason", required=True, metavar="TEXT")
        else:
            p.add_argument("--note", default="", metavar="TEXT")
        _common(p)

    p = _action(commands, "wait", "wait on the customer, carrier … (the SLA clock pauses)", wait)
    p.add_argument("--on", default="customer", choices=WAIT_ON, help="who (default customer)")
    p.add_argument("--note", default="", metavar="TEXT")
    _common(p)

    p = _action(commands, "resume", "resume a waiting case (waiting → open)", resume)
    p.add_argument("--note", default="", metavar="TEXT")
    _common(p)

    p = _action(commands, "escalate", "escalate to the next tier (上报); a reason is required",
                one_text("escalate", "reason"))
    p.add_argument("--reason", required=True, metavar="TEXT")
    _common(p)

    p = _action(commands, "return", "decide an escalated case and send it back to work",
                one_text("return_to_operator", "decision"))
    p.add_argument("--decision", required=True, metavar="TEXT")
    _common(p)

    p = _action(commands, "resolve", "resolve: remedy done and customer told",
                one_text("resolve", "summary"))
    p.add_argument("--summary", required=True, metavar="TEXT")
    _common(p)

    p = _action(commands, "reopen", "reopen a resolved or closed case", one_text("reopen", "reason"))
    p.add_argument("--reason", required=True, metavar="TEXT")
    _common(p)

    p = _action(commands, "void", "void a case that was a mistake or a duplicate",
                one_text("void", "reason"))
    p.add_argument("--reason", required=True, metavar="TEXT")
    _common(p)

    p = _action(commands, "close", "close a resolved case", close)
    _common(p)

    p = _action(commands, "survey", "record the customer's satisfaction (closes a resolved case)",
                survey)
    p.add_argument("--score", required=True, metavar="1-5")
    p.add_argument("--comment", default="", metavar="TEXT")
    _common(p)

    p = _action(commands, "responsibility", "record who is responsible (责任划分)", responsibility)
    p.add_argument("--party", required=True, metavar="P",
                   help="shop, warehouse, carrier, supplier, customer, platform, unknown")
    p.add_argument("--department", metavar="D",
                   help="sales, purchasing, warehouse, logistics, qc, customer_service")
    p.add_argument("--joint", metavar="D", help="a jointly responsible department (连带责任)")
    p.add_argument("--root-cause", metavar="TEXT")
    _common(p)

    p = _action(commands, "urgent", "mark the case urgent (--off: not urgent)", urgent)
    p.add_argument("--off", action="store_true", help="clear the urgent mark")
    _common(p)


# --- running one action -------------------------------------------------------------------------


def _run(ctx: Context, act) -> int:
    """Find the case REF names, run `act(services, actor, ref)` and print the case's new state."""
    from shopdesk.cli.cases import _run_with_services

    async def work(services: Services) -> int:
        ref = (await services.cases.find_one(ctx.args.ref)).ref
        result = await act(services, await ctx.actor(services), ref)
        case = await services.cases.get(ref)
        _print_state(ctx, services, case, result)
        return 0

    return _run_with_services(ctx, work)


def _print_state(ctx: Context, services: Services, case: Case, result: Any) -> None:
    from shopdesk.cli.cases import _case_json, _print_json, _terminal_safe
    from shopdesk.domain.cases import Remedy

    if ctx.args.json:
        payload = _case_json(case, services.now())
        if isinstance(result, Remedy):
            import msgspec

            payload = {"case": payload, "remedy": msgspec.to_builtins(result)}
        _print_json(payload)
        return
    case = _terminal_safe(case)
    if isinstance(result, Remedy):
        from shopdesk.domain.money import format_minor

        amount = f" {format_minor(result.amount_minor, result.currency)}" if result.amount_minor else ""
        print(f"remedy #{result.id} {result.type}{amount} {result.status}")
    tier = "" if case.tier == "operator" else f"/{case.tier}"
    print(f"{case.ref}  {case.status}{tier}  L{case.level}{' URGENT' if case.urgent else ''}  "
          f"{case.kind}  assignee {case.assignee or '—'}  version {case.version}")


def _version(ctx: Context) -> int | None:
    return ctx.args.expected_version


def triage(ctx: Context) -> int:
    from shopdesk.cli.cases import _levels

    args = ctx.args
    levels = _levels([args.level]) if args.level else None
    if levels is not None and len(levels) != 1:
        from shopdesk.domain.errors import ValidationError

        raise ValidationError("--level takes one level", field="level")
    return _run(ctx, lambda s, actor, ref: s.cases.triage(
        actor, ref, kind=args.kind.strip() if args.kind else None,
        level=levels[0] if levels else None, urgent=args.urgent,
        expected_version=_version(ctx)))


def assign(ctx: Context) -> int:
    from shopdesk.domain.errors import ValidationError

    args = ctx.args
    if args.nobody and args.assignee:
        raise ValidationError("give a NAME or --nobody, not both", field="assignee")
    if not args.nobody and not (args.assignee or "").strip():
        raise ValidationError("say who: a NAME, 'me', or --nobody to unassign", field="assignee")

    def act(services, actor, ref):
        name = None if args.nobody else args.assignee.strip()
        if name == "me" or name == actor.name:
            return services.cases.take(actor, ref, expected_version=_version(ctx))
        return services.cases.assign(actor, ref, name, expected_version=_version(ctx))

    return _run(ctx, act)


def note(ctx: Context) -> int:
    return _run(ctx, lambda s, actor, ref: s.cases.add_note(
        actor, ref, ctx.args.text, expected_version=_version(ctx)))


def contact(ctx: Context) -> int:
    args = ctx.args

    async def act(services, actor, ref):
        from shopdesk.domain.follow_ups import follow_up_at

        follow_up = follow_up_at(args.follow_up, services.now(), services.policy.calendar)
        return await services.cases.log_contact(
            actor, ref, channel=args.channel.strip(), direction=args.direction.strip(),
            summary=args.summary, template=args.template.strip() if args.template else None,
            next_follow_up_at=follow_up, expected_version=_version(ctx))

    return _run(ctx, act)


def remedy(ctx: Context) -> int:
    args = ctx.args

    async def act(services, actor, ref):
        from shopdesk.domain.money import to_minor

        detail = await services.cases.detail(ref)
        currency = (args.currency.strip().upper()
                    or (detail.order.currency if detail.order else services.settings.currency))
        return await services.cases.propose_remedy(
            actor, ref, type=args.type.strip(), amount_minor=to_minor(args.amount, currency),
            currency=currency, note=args.note, expected_version=_version(ctx))

    return _run(ctx, act)


def decide_remedy(ctx: Context) -> int:
    args = ctx.args

    async def act(services, actor, ref):
        remedy_id = await services.cases.remedy_to_decide(ref, args.remedy, args.remedy_action)
        cases = services.cases
        if args.remedy_action == "reject":
            return await cases.reject_remedy(actor, remedy_id, args.reason, case_ref=ref)
        decide = cases.approve_remedy if args.remedy_action == "approve" else cases.complete_remedy
        return await decide(actor, remedy_id, args.note, case_ref=ref)

    return _run(ctx, act)


def wait(ctx: Context) -> int:
    return _run(ctx, lambda s, actor, ref: s.cases.wait(
        actor, ref, on=ctx.args.on, note=ctx.args.note, expected_version=_version(ctx)))


def resume(ctx: Context) -> int:
    return _run(ctx, lambda s, actor, ref: s.cases.resume(
        actor, ref, note=ctx.args.note, expected_version=_version(ctx)))


def one_text(method: str, option: str):
    """A handler passing the one text option to `services.cases.<method>(actor, ref, text)`."""

    def handler(ctx: Context) -> int:
        return _run(ctx, lambda s, actor, ref: getattr(s.cases, method)(
            actor, ref, getattr(ctx.args, option), expected_version=_version(ctx)))

    return handler


def close(ctx: Context) -> int:
    return _run(ctx, lambda s, actor, ref: s.cases.close(
        actor, ref, expected_version=_version(ctx)))


def survey(ctx: Context) -> int:
    from shopdesk.domain.errors import ValidationError

    text = ctx.args.score.strip()
    if text not in ("1", "2", "3", "4", "5"):
        raise ValidationError(f"--score is a whole number from 1 to 5, not {text!r}",
                              field="score")
    return _run(ctx, lambda s, actor, ref: s.cases.record_survey(
        actor, ref, int(text), ctx.args.comment, expected_version=_version(ctx)))


def responsibility(ctx: Context) -> int:
    args = ctx.args
    return _run(ctx, lambda s, actor, ref: s.cases.set_responsibility(
        actor, ref, party=args.party.strip(), department=args.department,
        joint_department=args.joint, root_cause=args.root_cause,
        expected_version=_version(ctx)))


def urgent(ctx: Context) -> int:
    return _run(ctx, lambda s, actor, ref: s.cases.set_urgent(
        actor, ref, not ctx.args.off, expected_version=_version(ctx)))
