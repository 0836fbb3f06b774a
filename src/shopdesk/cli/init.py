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
    init.add_argument(
        "--group", metavar="G",
        help="share the store with the OS accounts in group G: the store and its folder become "
        "group-writable, the folder setgid (files made in it, e.g. the WAL, keep the group)")
    init.set_defaults(handler=init_store)


def init_store(ctx: Context) -> int:
    import asyncio

    from shopdesk.domain.errors import ShopdeskError
    from shopdesk.services import Services
    from shopdesk.services.operators import os_account
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

    group = ctx.args.group
    gid = _group_id(group) if group else None
    account = os_account()

    async def main() -> None:
        async with open_store(path) as store:  # creates the tables, or checks an existing store
            services = Services(store, ctx.settings())
            await services.shop.load()
            if not existed:
                await services.operators.ensure_owner(account)  # who creates a store owns it
            await services.operators.load()
            if code:
                await services.shop.set(services.actor(account), "calendar", code)

    asyncio.run(main())
    if gid is not None:
        share_with_group(path, gid)
    if existed:
        print(f"{path} is already a shopdesk store; "
              + (f"calendar set to {code}" if code else "nothing changed")
              + (f"; shared with group {group}" if gid is not None else ""))
    else:
        print(f"created an empty store at {path}; its owner is the operator {account} "
              f"(OS account {account})")
        if code:
            print(f"calendar: {code} (`shopdesk --db {path} calendar` shows its holidays)")
        if gid is not None:
            print(f"shared with group {group}: add each person with shopdesk --db {path} "
                  f"operator add NAME --role operator --unix-user THEIR_LOGIN")
        print(f"next: shopdesk --db {path} source add NAME --kind generic|woocommerce|shopify, "
              f"then shopdesk --db {path}")
    return 0


def _group_id(group: str) -> int:
    import grp

    from shopdesk.domain.errors import ValidationError

    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise ValidationError(f"--group: no OS group named {group!r}", field="group") from None


def share_with_group(path, gid: int) -> None:
    """Store (and its -wal/-shm) and folder owned by group `gid` and group-writable; the folder
    setgid, so files SQLite makes there later belong to the group too."""
    import os
    import stat

    from shopdesk.domain.errors import ShopdeskError

    folder = path.resolve().parent
    try:
        os.chown(folder, -1, gid)
        os.chmod(folder, stat.S_IMODE(folder.stat().st_mode) | stat.S_IRWXG | stat.S_ISGID)
        for name in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if name.exists():
                os.chown(name, -1, gid)
                os.chmod(name, stat.S_IMODE(name.stat().st_mode) | stat.S_IRGRP | stat.S_IWGRP)
    except PermissionError as error:
        raise ShopdeskError(f"--group: cannot hand {error.filename} to the group (you must own it "
                            "and belong to the group)", field="group") from None
