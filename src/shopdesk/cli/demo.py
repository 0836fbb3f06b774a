"""`shopdesk demo [--cases N] [--seed S]`: fill an empty store with realistic sample data."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shopdesk.cli import Context


def register(subparsers: argparse._SubParsersAction) -> None:
    demo = subparsers.add_parser(
        "demo", help="fill an empty store with realistic sample data",
        description="Fill an empty store with demo cases (every kind, level and status, with "
        "timelines, remedies, contacts, surveys and a past carrier outage). The same seed gives "
        "the same data, placed in the weeks before now.",
    )
    demo.add_argument("--cases", default="120", metavar="N", help="how many cases (default 120)")
    demo.add_argument("--seed", default="7", metavar="S", help="random seed (default 7)")
    demo.set_defaults(handler=run_demo)


def _whole(text: str, name: str) -> int:
    from shopdesk.domain.errors import ValidationError

    try:
        return int(text)
    except ValueError:
        raise ValidationError(f"--{name} must be a whole number, not {text!r}", field=name) from None


def run_demo(ctx: Context) -> int:
    import asyncio

    from shopdesk.domain.errors import ValidationError
    from shopdesk.services.demo import MAX_CASES, DemoPresent, fill_demo
    from shopdesk.services.operators import os_account
    from shopdesk.store import open_store

    count = _whole(ctx.args.cases, "cases")
    seed = _whole(ctx.args.seed, "seed")
    if not 1 <= count <= MAX_CASES:
        raise ValidationError(f"--cases must be from 1 to {MAX_CASES}, not {count}", field="cases")
    path = ctx.db_path
    settings = ctx.settings()

    async def main():
        async with open_store(path) as store:
            return await fill_demo(store, settings, cases=count, seed=seed, account=os_account())

    try:
        summary = asyncio.run(main())
    except DemoPresent as present:  # the README's first command, run a second time: go on
        print(f"{present.detail}")
        print(f"next: shopdesk --db {path}")
        return 0
    statuses = ", ".join(f"{count} {status}" for status, count in summary.by_status.items() if count)
    print(f"demo store: {path}")
    print(f"  {summary.cases} cases ({statuses})")
    print(f"  {summary.overdue} overdue, {summary.urgent} urgent and active, "
          f"{summary.pending_remedies} remedies awaiting approval")
    print(f"  {summary.orders} orders, {summary.incidents} past incident(s)")
    print(f"  operators (all yours, OS account {os_account()}): "
          "li.na, wang.fang, emma (operator), zhou.min (supervisor), lin.feng and "
          f"{os_account()} (owner); act as one with --operator NAME")
    print(f"next: shopdesk --db {path} cases list")
    return 0
