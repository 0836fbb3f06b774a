"""`shopdesk outbox [--failed] [--json] | retry ID | cancel ID` and `shopdesk hook add|list|remove|
test`: what shopdesk sends, and where (docs/outbound.md)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shopdesk.cli import Context
    from shopdesk.services import Services

EVENTS_HELP = ("comma-separated events (default: all): case.opened, case.escalated, "
               "case.resolved, case.closed, remedy.awaiting_approval, remedy.approved, "
               "remedy.done, sla.breach_soon, incident.declared, survey.requested")


def register(subparsers: argparse._SubParsersAction) -> None:
    outbox = subparsers.add_parser(
        "outbox", help="messages shopdesk sends (hooks, emails) and how they went",
        description="List the outbox, newest first: every hook event and customer email, its "
        "status (pending, sending, sent, failed, cancelled), tries and last answer.",
    )
    outbox.add_argument("--failed", action="store_true", help="only messages that failed for good")
    outbox.add_argument("--json", action="store_true", help="one JSON object per line")
    outbox.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    outbox.set_defaults(handler=list_outbox)
    commands = outbox.add_subparsers(dest="outbox_command", metavar="SUBCOMMAND")
    retry = commands.add_parser("retry", help="send a failed message again now")
    retry.add_argument("id", metavar="ID", help="the message's id from `shopdesk outbox`")
    retry.set_defaults(handler=retry_message)
    cancel = commands.add_parser("cancel", help="do not send a pending or failed message")
    cancel.add_argument("id", metavar="ID", help="the message's id from `shopdesk outbox`")
    cancel.set_defaults(handler=cancel_message)

    hook = subparsers.add_parser("hook", help="where staff alerts and plugin events go")
    hooks = hook.add_subparsers(dest="hook_command", metavar="SUBCOMMAND", required=True)
    add = hooks.add_parser(
        "add", help="send events to a URL",
        description="Send events to URL as FORMAT: shopdesk (signed JSON for shop plugins), "
        "wecom (企业微信群机器人), dingtalk (钉钉机器人), feishu (飞书机器人), slack.",
    )
    add.add_argument("name", metavar="NAME", help="a name for it, e.g. ops-chat")
    add.add_argument("--url", required=True, help="http(s) URL to POST to")
    add.add_argument("--format", default="shopdesk",
                     choices=("shopdesk", "wecom", "dingtalk", "feishu", "slack"))
    add.add_argument("--events", help=EVENTS_HELP)
    add.add_argument("--only", help="case events of these cases only: urgent, L2, L3 "
                     "(comma-separated, any one is enough), e.g. --only urgent,L3")
    add.add_argument("--secret", default="",
                     help="signing secret (shopdesk: Shopdesk-Signature; dingtalk: 加签 SEC…; "
                          "feishu: 签名校验)")
    add.set_defaults(handler=add_hook)
    listing = hooks.add_parser("list", help="hooks (never their secrets)")
    listing.set_defaults(handler=list_hooks)
    remove = hooks.add_parser("remove", help="stop sending to a hook (its unsent messages cancelled)")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(handler=remove_hook)
    test = hooks.add_parser("test", help="send a sample event to a hook now")
    test.add_argument("name", metavar="NAME")
    test.set_defaults(handler=test_hook)


def _id(text: str) -> int:
    from shopdesk.domain.errors import ValidationError

    try:
        return int(text.strip().lstrip("#"))
    except ValueError:
        raise ValidationError(f"{text!r} is not an outbox id (see `shopdesk outbox`)",
                              field="id") from None


def list_outbox(ctx: Context) -> int:
    import msgspec

    from shopdesk.cli.sources import _local, run_with_services

    async def work(services: Services) -> int:
        messages = await services.outbound.list(failed=ctx.args.failed, limit=ctx.args.limit)
        if ctx.args.json:
            for message in messages:
                print(msgspec.json.encode(msgspec.structs.replace(message, payload={})).decode())
            return 0
        if not messages:
            print("no failed messages" if ctx.args.failed else
                  "the outbox is empty: nothing was sent yet (see `shopdesk hook add`)")
            return 0
        rows = [("ID", "STATUS", "TRIES", "EVENT", "TO", "CASE", "QUEUED", "LAST ANSWER")]
        rows += [(str(m.id), m.status, str(m.attempts), m.event, m.target, m.case_ref or "-",
                  _local(services, m.created_at), m.last_error.replace("\n", " ")[:60])
                 for m in messages]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        return 0

    return run_with_services(ctx, work)


def retry_message(ctx: Context) -> int:
    from shopdesk.cli.sources import run_with_services

    async def work(services: Services) -> int:
        message = await services.outbound.retry(await ctx.actor(services), _id(ctx.args.id))
        print(f"outbox #{message.id} ({message.event} to {message.target}) is sent again by the "
              "shopdesk serving this store")
        return 0

    return run_with_services(ctx, work)


def cancel_message(ctx: Context) -> int:
    from shopdesk.cli.sources import run_with_services

    async def work(services: Services) -> int:
        message = await services.outbound.cancel(await ctx.actor(services), _id(ctx.args.id))
        print(f"outbox #{message.id} ({message.event} to {message.target}) cancelled")
        return 0

    return run_with_services(ctx, work)


def add_hook(ctx: Context) -> int:
    from shopdesk.cli.sources import run_with_services
    from shopdesk.sending.http_post import shown_url

    async def work(services: Services) -> int:
        hook = await services.outbound.add_hook(
            await ctx.actor(services), ctx.args.name, ctx.args.url, format=ctx.args.format,
            events=ctx.args.events, only=ctx.args.only, secret=ctx.args.secret,
        )
        print(f"hook {hook.name}: {hook.format} to {shown_url(hook.url)}, events "
              f"{', '.join(hook.events) or 'all'}"
              f"{' of ' + ' or '.join(hook.only) + ' cases' if hook.only else ''}"
              f"{', signed' if hook.secret else ''}")
        print(f"  try it: shopdesk hook test {hook.name}")
        return 0

    return run_with_services(ctx, work, create=True)


def list_hooks(ctx: Context) -> int:
    from shopdesk.cli.sources import run_with_services
    from shopdesk.sending.http_post import shown_url

    async def work(services: Services) -> int:
        hooks = await services.outbound.hooks()
        if not hooks:
            print("no hooks yet: shopdesk hook add NAME --url URL [--format wecom|dingtalk|…]")
            return 0
        rows = [("NAME", "FORMAT", "EVENTS", "ONLY", "SIGNED", "URL")]
        rows += [(h.name, h.format, ",".join(h.events) or "all", ",".join(h.only) or "-",
                  "yes" if h.secret else "no", shown_url(h.url)) for h in hooks]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        return 0

    return run_with_services(ctx, work)


def remove_hook(ctx: Context) -> int:
    from shopdesk.cli.sources import run_with_services

    async def work(services: Services) -> int:
        cancelled = await services.outbound.remove_hook(
            await ctx.actor(services), ctx.args.name)
        note = f"; {cancelled} unsent messages cancelled" if cancelled else ""
        print(f"hook {ctx.args.name} removed{note}")
        return 0

    return run_with_services(ctx, work)


def test_hook(ctx: Context) -> int:
    import sys

    from shopdesk.cli.sources import run_with_services

    async def work(services: Services) -> int:
        outcome = await services.outbound.test_hook(ctx.args.name)
        if outcome.ok:
            print(f"hook {ctx.args.name}: delivered ({outcome.answer[:200]})")
            return 0
        print(f"shopdesk: hook {ctx.args.name}: not delivered: {outcome.answer}", file=sys.stderr)
        return 1

    return run_with_services(ctx, work)
