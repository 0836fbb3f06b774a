"""`shopdesk operator add|list|set|disable`: the people who work the desk, kept in the store.

Only the standard library at module level (build_parser imports every command module). Only an
owner (the OS account running the command, mapped to an owner) manages operators.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shopdesk.cli import Context
    from shopdesk.services import Services

ROLES = ("operator", "supervisor", "owner")


def register(subparsers: argparse._SubParsersAction) -> None:
    operator = subparsers.add_parser(
        "operator", help="operators: who works the desk, with which role (owners manage them)",
        description="Operators live in the store. Who you are comes from your OS account: the "
        "operator mapped to it (--unix-user). Several operators may share one account; then "
        "--operator NAME chooses among them. An account mapped to no operator reads only.",
    )
    commands = operator.add_subparsers(dest="operator_command", metavar="SUBCOMMAND", required=True)

    add = commands.add_parser("add", help="add an operator (owners only)")
    add.add_argument("name", metavar="NAME", help="one word, e.g. emma or li.na")
    add.add_argument("--role", required=True, metavar="ROLE", help="operator, supervisor or owner")
    add.add_argument("--unix-user", metavar="U",
                     help="the OS account that acts as this operator (default: NAME)")
    add.add_argument("--phone", default="", metavar="P")
    add.add_argument("--email", default="", metavar="E")
    add.set_defaults(handler=add_operator)

    listing = commands.add_parser("list", help="operators, their roles and OS accounts")
    listing.add_argument("--json", action="store_true", help="JSON instead of a table")
    listing.set_defaults(handler=list_operators)

    change = commands.add_parser("set", help="change an operator's role (owners only)")
    change.add_argument("name", metavar="NAME")
    change.add_argument("--role", required=True, metavar="ROLE", help="operator, supervisor or owner")
    change.set_defaults(handler=set_role)

    disable = commands.add_parser(
        "disable", help="an operator may no longer act (their history stays; owners only)")
    disable.add_argument("name", metavar="NAME")
    disable.set_defaults(handler=disable_operator)


def _run(ctx: Context, work) -> int:
    from shopdesk.cli.sources import run_with_services

    return run_with_services(ctx, work)


def add_operator(ctx: Context) -> int:
    args = ctx.args

    async def work(services: Services) -> int:
        actor = await ctx.actor(services)
        op = await services.operators.add(actor, args.name, role=args.role,
                                          unix_user=args.unix_user, phone=args.phone,
                                          email=args.email)
        print(f"operator {op.name} added as {op.role}"
              + (f" (OS account {op.unix_user})" if op.unix_user else " (no OS account)"))
        return 0

    return _run(ctx, work)


def set_role(ctx: Context) -> int:
    async def work(services: Services) -> int:
        actor = await ctx.actor(services)
        op = await services.operators.set_role(actor, ctx.args.name, ctx.args.role)
        print(f"operator {op.name} is now {op.role}")
        return 0

    return _run(ctx, work)


def disable_operator(ctx: Context) -> int:
    async def work(services: Services) -> int:
        actor = await ctx.actor(services)
        op = await services.operators.disable(actor, ctx.args.name)
        print(f"operator {op.name} disabled; their cases and history stay")
        return 0

    return _run(ctx, work)


def list_operators(ctx: Context) -> int:
    import sys

    import msgspec

    from shopdesk.cli.sources import _local

    async def work(services: Services) -> int:
        operators = await services.operators.list()
        if ctx.args.json:
            sys.stdout.buffer.write(msgspec.json.encode(operators) + b"\n")
            return 0
        if not operators:
            print("no operators yet: the account that creates a store owns it "
                  "(shopdesk operator add NAME --role ROLE)")
            return 0
        rows = [("NAME", "ROLE", "OS ACCOUNT", "PHONE", "EMAIL", "ADDED", "DISABLED")]
        rows += [(op.name, op.role, op.unix_user or "-", op.phone or "-", op.email or "-",
                  _local(services, op.created_at) if op.created_at else "-",
                  _local(services, op.disabled_at) if op.disabled_at else "-")
                 for op in operators]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        return 0

    return _run(ctx, work)
