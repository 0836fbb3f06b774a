"""`shopdesk token create|list|revoke`: bearer tokens for the case API (stored hashed)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shopdesk.cli import Context
    from shopdesk.services import Services


def register(subparsers: argparse._SubParsersAction) -> None:
    token = subparsers.add_parser("token", help="bearer tokens for the case API")
    commands = token.add_subparsers(dest="token_command", metavar="SUBCOMMAND", required=True)

    create = commands.add_parser(
        "create", help="a new token, printed once",
        description="Create a bearer token for /api/v1. It is printed once; shopdesk keeps only "
        "its hash. Requests with it act as --operator (default api:NAME) in case timelines.",
    )
    create.add_argument("name", metavar="NAME", help="what or who uses it, e.g. woo-plugin")
    create.add_argument("--operator", dest="token_operator",
                        help="the operator its requests act as (default: api:NAME, read only)")
    create.set_defaults(handler=create_token)

    listing = commands.add_parser("list", help="tokens (never the tokens themselves)")
    listing.set_defaults(handler=list_tokens)

    revoke = commands.add_parser("revoke", help="stop accepting a token")
    revoke.add_argument("id", metavar="NAME|ID",
                        help="the token's name or its id (12 or #12) from `token list`")
    revoke.set_defaults(handler=revoke_token)


def create_token(ctx: Context) -> int:
    from shopdesk.cli.sources import run_with_services

    async def work(services: Services) -> int:
        record, token = await services.tokens.create(
            ctx.args.name, operator=ctx.args.token_operator, actor=await ctx.actor(services))
        print(f"token #{record.id} {record.name} (acts as {record.operator}):")
        print(f"  {token}")
        print("  (shown once; send it as: Authorization: Bearer <token>)")
        return 0

    return run_with_services(ctx, work, create=True)


def list_tokens(ctx: Context) -> int:
    from shopdesk.cli.sources import _local, run_with_services

    async def work(services: Services) -> int:
        def when(moment) -> str:  # in the shop's zone, like every other view
            return _local(services, moment) if moment else "-"

        tokens = await services.tokens.list()
        if not tokens:
            print("no tokens yet: shopdesk token create NAME")
            return 0
        rows = [("ID", "NAME", "ACTS AS", "CREATED", "LAST USED", "REVOKED")]
        rows += [(str(t.id), t.name, t.operator, when(t.created_at), when(t.last_used_at),
                  when(t.revoked_at)) for t in tokens]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        return 0

    return run_with_services(ctx, work)


def revoke_token(ctx: Context) -> int:
    from shopdesk.cli.sources import run_with_services

    async def work(services: Services) -> int:
        record = await services.tokens.revoke(ctx.args.id)
        print(f"token #{record.id} {record.name} revoked")
        return 0

    return run_with_services(ctx, work)
