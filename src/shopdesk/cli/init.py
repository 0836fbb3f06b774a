"""`shopdesk init`: create an empty store on purpose (`shopdesk` and `shopdesk serve` never create
one at a --db that does not exist)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shopdesk.cli import Context


def register(subparsers: argparse._SubParsersAction) -> None:
    init = subparsers.add_parser(
        "init", help="create an empty store at --db (or the default location)",
        description="Create an empty store. `shopdesk` and `shopdesk serve` refuse a --db (or "
        "$SHOPDESK_DB) that does not exist, so that a mistyped path never becomes a new empty "
        "desk; only the default store is created by itself on first run. An existing store is "
        "left as it is.",
    )
    init.add_argument("--calendar", metavar="CODE",
                      help='the country whose public holidays count, e.g. CN (with its make-up '
                      'working days, 调休) or US-CA; `shopdesk calendar --codes` lists them')
    init.set_defaults(handler=init_store)


def init_store(ctx: Context) -> int:
    import asyncio

    from shopdesk.domain.errors import ShopdeskError
    from shopdesk.store import open_store

    path = ctx.db_path
    if path.is_dir():
        raise ShopdeskError(f"{path} is a directory, not a store file", field="db")
    existed = path.exists() and path.stat().st_size > 0
    code = (ctx.args.calendar or "").strip()
    if ctx.args.calendar is not None:
        from shopdesk.public_holidays import check_code

        if not code:
            raise ShopdeskError("--calendar needs a code like CN or US-CA", field="calendar")
        code = check_code(code)  # refused before anything is created

    async def main() -> None:
        async with open_store(path) as store:  # creates the tables, or checks an existing store
            if code:
                from shopdesk.services import Services

                services = Services(store, ctx.settings())
                await services.shop.load()
                await services.shop.set(services.actor(ctx.operator()), "calendar", code)

    asyncio.run(main())
    if existed:
        print(f"{path} is already a shopdesk store; "
              + (f"calendar set to {code}" if code else "nothing changed"))
    else:
        print(f"created an empty store at {path}")
        if code:
            print(f"calendar: {code} (`shopdesk --db {path} calendar` shows its holidays)")
        print(f"next: shopdesk --db {path} source add NAME --kind generic|woocommerce|shopify, "
              f"then shopdesk --db {path}")
    return 0
