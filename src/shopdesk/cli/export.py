"""`shopdesk export KIND [filters] [-o FILE] [--bom]`: CSV to stdout or a file (docs/exports.md).

Standard library only at module level (build_parser imports this for every command).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shopdesk.cli import Context

KIND_NAMES = ("cases", "events", "remedies", "summary", "carriers", "departments")


def register(subparsers: argparse._SubParsersAction) -> None:
    export = subparsers.add_parser(
        "export",
        help="CSV export: cases, events, remedies, summary, carriers, departments",
        description="Write a CSV export to stdout or -o FILE. Times are ISO-8601 in the shop's "
        "time zone, amounts in major units with a currency column; cells a spreadsheet would "
        "evaluate start with '. --from/--to are dates in the shop's zone (--to included) and "
        "select cases by opening time (carriers: orders by shipping time).",
    )
    export.add_argument("kind", metavar="KIND", help=", ".join(KIND_NAMES))
    export.add_argument("--from", dest="period_from", metavar="DATE", help="first day, YYYY-MM-DD")
    export.add_argument("--to", dest="period_to", metavar="DATE", help="last day, YYYY-MM-DD (included)")
    export.add_argument("--status", action="append", metavar="S", help="a status; repeatable")
    export.add_argument("--kind", dest="kinds", action="append", metavar="K",
                        help="a kind or a group (delivery, payment, …); repeatable")
    export.add_argument("--level", action="append", metavar="N", help="1, 2 or 3; repeatable")
    export.add_argument("--urgent", metavar="BOOL", help="true: urgent cases only; false: the others")
    export.add_argument("--carrier", help="cases whose order ships with CARRIER")
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: stdout)")
    bom = export.add_mutually_exclusive_group()
    bom.add_argument("--bom", dest="bom", action="store_const", const=True,
                     help="start with a UTF-8 BOM (Excel then shows Chinese text right)")
    bom.add_argument("--no-bom", dest="bom", action="store_const", const=False,
                     help="no BOM, whatever the config says")
    export.set_defaults(handler=run_export)


def run_export(ctx: Context) -> int:
    import asyncio

    from shopdesk.cli.cases import existing_store_path
    from shopdesk.domain.errors import ValidationError
    from shopdesk.services import Services
    from shopdesk.services.exports import ExportService, filter_from_text
    from shopdesk.store import open_store

    args = ctx.args
    settings = ctx.settings()
    kind = args.kind.strip().lower().removesuffix(".csv")
    if kind not in KIND_NAMES:
        raise ValidationError(f"unknown export {args.kind!r}; exports: {', '.join(KIND_NAMES)}",
                              field="kind")
    case_filter = filter_from_text(
        settings.timezone, period_from=args.period_from, period_to=args.period_to,
        statuses=args.status, kinds=args.kinds, levels=args.level, urgent=args.urgent,
        carrier=args.carrier,
    )
    path = existing_store_path(ctx)

    async def main() -> int:
        async with open_store(path) as store:
            services = Services(store, settings)
            await services.shop.load()  # the shop's settings (time zone, BOM) are the store's
            nonlocal case_filter
            if services.settings.timezone != settings.timezone:
                case_filter = filter_from_text(
                    services.settings.timezone, period_from=args.period_from,
                    period_to=args.period_to, statuses=args.status, kinds=args.kinds,
                    levels=args.level, urgent=args.urgent, carrier=args.carrier,
                )
            exports: ExportService = services.exports
            if args.output:
                rows = await exports.write(kind, case_filter, args.output, bom=args.bom)
                print(f"{rows} rows written to {args.output}", file=sys.stderr)
                return 0
            out = sys.stdout.buffer
            async for chunk in exports.stream(kind, case_filter, bom=args.bom):
                out.write(chunk)
            out.flush()
            return 0

    return asyncio.run(main())
