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
    init.set_defaults(handler=init_store)


def init_store(ctx: Context) -> int:
    import asyncio

    from shopdesk.domain.errors import ShopdeskError
    from shopdesk.store import open_store

    path = ctx.db_path
    if path.is_dir():
        raise ShopdeskError(f"{path} is a directory, not a store file", field="db")
    existed = path.exists() and path.stat().st_size > 0

    async def main() -> None:
        async with open_store(path):  # creates the tables, or checks an existing store
            pass

    asyncio.run(main())
    if existed:
        print(f"{path} is already a shopdesk store; nothing changed")
    else:
        print(f"created an empty store at {path}")
        print(f"next: shopdesk --db {path} source add NAME --kind generic|woocommerce|shopify, "
              f"then shopdesk --db {path}")
    return 0
