"""`shopdesk source add|list|rotate|remove|problems`: the shops allowed to post webhooks.

Only the standard library at module level (build_parser imports every command module).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from shopdesk.cli import Context
    from shopdesk.services import Services

KINDS = ("generic", "woocommerce", "shopify")


def register(subparsers: argparse._SubParsersAction) -> None:
    source = subparsers.add_parser("source", help="webhook sources: the shops that may post orders")
    commands = source.add_subparsers(dest="source_command", metavar="SUBCOMMAND", required=True)

    add = commands.add_parser(
        "add", help="register a shop; prints its webhook URL (and a generated secret, once)",
        description="Register a webhook source. Without --secret a secret is generated and "
        "printed once: paste it into the shop's webhook settings. With --secret, use the one the "
        "platform shows (e.g. a Shopify app's client secret).",
    )
    add.add_argument("name", metavar="NAME", help="lowercase name; the URL becomes /webhooks/NAME")
    add.add_argument("--kind", required=True, choices=KINDS, help="payload format and signature")
    add.add_argument("--secret", help="the signing secret (default: generate one)")
    add.set_defaults(handler=add_source)

    listing = commands.add_parser("list", help="sources and what arrived from them")
    listing.set_defaults(handler=list_sources)

    rotate = commands.add_parser(
        "rotate", help="new secret; the old one is still accepted until `rotate --finish`",
        description="Give a source a new secret (printed once). Until you run `rotate NAME "
        "--finish`, signatures made with the previous secret are still accepted, so the shop can "
        "be switched over without losing deliveries.",
    )
    rotate.add_argument("name", metavar="NAME")
    rotate.add_argument("--secret", help="the new secret (default: generate one)")
    rotate.add_argument("--finish", action="store_true",
                        help="stop accepting the previous secret (no new secret)")
    rotate.add_argument("--now", action="store_true",
                        help="replace the secret without accepting the old one meanwhile")
    rotate.set_defaults(handler=rotate_source)

    remove = commands.add_parser(
        "remove", help="remove a source and its stored deliveries (orders and cases stay)"
    )
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(handler=remove_source)

    problems = commands.add_parser(
        "problems", help="quarantined deliveries: signed, but not readable as an order event",
        description="Quarantined deliveries nobody dismissed yet, newest first. --dismiss ID marks "
        "one handled: it stays stored, but leaves this list and the TUI's Intake problems.",
    )
    problems.add_argument("--limit", type=int, default=20, metavar="N")
    problems.add_argument("--dismiss", metavar="ID",
                          help="mark delivery ID (as listed: 12 or #12) handled")
    problems.set_defaults(handler=list_problems)


def run_with_services(ctx: Context, work, *, create: bool = False) -> int:
    """Open the store (an existing one unless `create`), build Services, run `work(services)`.
    `create` is for the commands that set a store up (`source add`, `token create`): a store they
    create is announced on stderr (stdout stays what scripts read), so a mistyped --db shows."""
    import asyncio
    import sys

    from shopdesk.services import Services
    from shopdesk.store import open_store

    new = False
    if create:
        path = ctx.db_path
        if path.is_dir():
            from shopdesk.domain.errors import ShopdeskError

            raise ShopdeskError(f"{path} is a directory, not a store file", field="db")
        new = not path.exists()
    else:
        from shopdesk.cli.cases import existing_store_path

        path = existing_store_path(ctx)
    settings = ctx.settings()

    async def main() -> int:
        async with open_store(path) as store:
            services = Services(store, settings)
            if new:
                print(f"shopdesk: created a new empty store at {path}", file=sys.stderr)
                from shopdesk.services.operators import os_account

                await services.operators.ensure_owner(os_account())  # its creator owns it
            await services.shop.load()  # the shop's settings are the store's
            await services.operators.load()
            return await work(services) or 0

    return asyncio.run(main())


def _url(services: Services, name: str) -> str:
    api = services.settings.api
    host = f"[{api.host}]" if ":" in api.host else api.host
    return f"http://{host}:{api.port}/webhooks/{name}"


async def _url_note(services: Services, config: str | None) -> list[str]:
    """Why the URL printed may not be the one to use, unless a shopdesk answers on that address
    for this very store (then the URL is right): lines to print under it."""
    from shopdesk.serving.port_owner import port_owner, same_store

    api = services.settings.api
    owner = await port_owner(api.host, api.port)
    if same_store(owner, services.store.path):
        return []
    where = f"[api] in {config}" if config else "the defaults (no config file)"
    return [f"(host and port from {where}; nothing serves this store there now:",
            " if `shopdesk serve --host/--port` or a reverse proxy serves it elsewhere,",
            " give the shop that address instead)"]


def _local(services: Services, moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time in the shop's zone, as every other view shows times."""
    from zoneinfo import ZoneInfo

    if moment is None:
        return "-"
    return moment.astimezone(ZoneInfo(services.settings.timezone)).strftime(fmt)


def add_source(ctx: Context) -> int:
    args = ctx.args

    async def work(services: Services) -> int:
        source, generated = await services.sources.add(args.name, args.kind, args.secret)
        print(f"added {source.kind} source {source.name}")
        print(f"  webhook URL: {_url(services, source.name)}")
        for line in await _url_note(services, ctx.config_name()):
            print(f"  {line}")
        if generated:
            print(f"  secret:      {source.secret}")
            print("  (shown once: paste it into the shop's webhook settings now)")
        return 0

    return run_with_services(ctx, work, create=True)


def list_sources(ctx: Context) -> int:
    async def work(services: Services) -> int:
        sources = await services.sources.list()
        if not sources:
            print("no sources yet: shopdesk source add NAME --kind generic|woocommerce|shopify")
            return 0
        rows = [("NAME", "KIND", "PROCESSED", "QUARANTINED", "TESTS", "LAST RECEIVED", "NOTE")]
        for source in sources:
            last = _local(services, source.last_received_at)
            note = "rotating: old secret still accepted" if source.rotating else ""
            rows.append((source.name, source.kind, str(source.processed), str(source.quarantined),
                         str(source.tests), last, note))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        return 0

    return run_with_services(ctx, work)


def rotate_source(ctx: Context) -> int:
    args = ctx.args
    from shopdesk.domain.errors import ValidationError

    if args.finish and (args.secret or args.now):
        raise ValidationError("--finish takes no --secret or --now", field="finish")

    async def work(services: Services) -> int:
        if args.finish:
            source = await services.sources.finish_rotation(args.name)
            print(f"{source.name}: only the current secret is accepted now")
            return 0
        source, generated = await services.sources.rotate(
            args.name, args.secret, keep_old=not args.now
        )
        print(f"{source.name}: new secret set")
        if generated:
            print(f"  secret: {source.secret}")
            print("  (shown once: paste it into the shop's webhook settings now)")
        if not args.now:
            print(f"  the previous secret is still accepted until: "
                  f"shopdesk source rotate {source.name} --finish")
        return 0

    return run_with_services(ctx, work)


def remove_source(ctx: Context) -> int:
    async def work(services: Services) -> int:
        count = await services.sources.remove(ctx.args.name)
        print(f"removed source {ctx.args.name} and its {count} stored deliveries "
              "(orders and cases stay)")
        return 0

    return run_with_services(ctx, work)


def list_problems(ctx: Context) -> int:
    from shopdesk.domain.errors import ValidationError

    if ctx.args.limit < 1:
        raise ValidationError("--limit must be at least 1", field="limit")

    if ctx.args.dismiss is not None:
        return dismiss_problem(ctx)

    async def work(services: Services) -> int:
        problems = await services.problems.list(limit=ctx.args.limit)
        if not problems:
            print("no quarantined deliveries")
            return 0
        for delivery in problems:
            when = _local(services, delivery.received_at, "%Y-%m-%d %H:%M:%S")
            print(f"#{delivery.id}  {when}  {delivery.source}  {delivery.topic or '-'}  "
                  f"{len(delivery.body)} bytes")
            print(f"    {delivery.error}")
        return 0

    return run_with_services(ctx, work)


def dismiss_problem(ctx: Context) -> int:
    from shopdesk.domain.errors import ValidationError

    text = ctx.args.dismiss.strip().removeprefix("#")
    if not text.isdigit() or int(text) < 1:
        raise ValidationError(
            f"--dismiss takes a delivery id as `source problems` lists it (#12), not "
            f"{ctx.args.dismiss!r}", field="dismiss",
        )
    delivery_id = int(text)

    async def work(services: Services) -> int:
        await services.problems.dismiss(await ctx.actor(services), delivery_id)
        print(f"dismissed delivery #{delivery_id}; it stays stored")
        return 0

    return run_with_services(ctx, work)
