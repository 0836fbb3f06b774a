"""`shopdesk check`, `shopdesk rules`, `shopdesk stock import`: detection from the command line."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shopdesk.cli import Context
    from shopdesk.services import Services


def register(subparsers: argparse._SubParsersAction) -> None:
    check = subparsers.add_parser(
        "check", help="run one sweep: the detection rules and the SLA watch",
        description="Run one sweep now: every order due is checked against the detection rules "
        "(cases opened, cleared), breached cases are escalated (supervisor, then owner) and stale "
        "resolved cases closed. Prints what it did.")
    check.add_argument("--dry-run", action="store_true",
                       help="say what the sweep would do and change nothing")
    check.add_argument("--json", action="store_true", help="one JSON object")
    check.set_defaults(handler=run_check)

    rules = subparsers.add_parser(
        "rules", help="the detection rules: thresholds, on/off, live cases",
        description="Each detection rule: the kind it opens, its level, its thresholds from "
        "config [detection], whether it is on, and its live cases (cleared: no longer found but "
        "kept for their operator).")
    rules.add_argument("--json", action="store_true", help="a JSON list")
    rules.set_defaults(handler=list_rules)

    stock = subparsers.add_parser("stock", help="stock levels the out_of_stock rule reads")
    commands = stock.add_subparsers(dest="stock_command", metavar="SUBCOMMAND", required=True)
    stock_import = commands.add_parser(
        "import", help="read stock levels from a CSV file",
        description="Read SKU,quantity rows (a header row with columns named sku and quantity, "
        "or two columns without a header). Orders not yet shipped with a SKU short are checked "
        "at the next sweep (or now, with `shopdesk check`).")
    stock_import.add_argument("file", metavar="FILE.csv", type=Path)
    stock_import.set_defaults(handler=import_stock)


def run_check(ctx: Context) -> int:
    from shopdesk.cli.sources import run_with_services

    async def work(services: Services) -> int:
        import msgspec

        report = await services.detection.run_sweep(dry_run=ctx.args.dry_run)
        if ctx.args.json:
            print(msgspec.json.encode(report).decode())
            return 0
        verb = "would " if report.dry_run else ""
        print(f"checked {report.checked} order{'s' if report.checked != 1 else ''} due")
        for finding in report.findings:
            what = {"open": "open", "clear": "clear", "close": "close (cleared)",
                    "again": "find again"}[finding.action]
            case = f" {finding.case}" if finding.case else ""
            print(f"  {verb}{what}{case}: {finding.rule} on {finding.order} — {finding.evidence}")
        for ref in report.escalated:
            print(f"  {verb}escalate {ref}: SLA breached")
        for ref in report.closed_resolved:
            print(f"  {verb}close {ref}: resolved more than "
                  f"{services.settings.close_after_days} days ago")
        for problem in report.failed:
            print(f"  skipped {problem} (see the log)")
        if not (report.findings or report.escalated or report.closed_resolved or report.failed):
            print("  nothing to do")
        return 0

    return run_with_services(ctx, work)


def list_rules(ctx: Context) -> int:
    from shopdesk.cli.sources import run_with_services

    async def work(services: Services) -> int:
        import msgspec

        states = await services.detection.rule_states()
        if ctx.args.json:
            print(msgspec.json.encode(states).decode())
            return 0
        rows = [("RULE", "ON", "KIND", "LEVEL", "LIVE", "CLEARED", "THRESHOLDS")]
        for state in states:
            thresholds = ", ".join(
                f"{name}={'|'.join(map(str, value)) if isinstance(value, list) else value}"
                for name, value in state.thresholds.items())
            rows.append((state.name, "on" if state.enabled else "off", state.kind,
                         f"L{state.level}{' urgent' if state.urgent else ''}", str(state.live),
                         str(state.cleared), thresholds or "-"))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
        for row in rows:
            print("  ".join([*(cell.ljust(width) for cell, width in zip(row, widths)), row[-1]])
                  .rstrip())
        return 0

    return run_with_services(ctx, work)


def read_stock_csv(path: Path) -> dict[str, int]:
    """SKU -> quantity from a CSV file; a ShopdeskError naming the line for a bad row."""
    from shopdesk.domain.errors import ValidationError

    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(f"{path} is not UTF-8 text (save it as UTF-8 CSV)",
                              field="file") from None
    except OSError as error:
        raise ValidationError(f"{path}: {error.strerror}", field="file") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise ValidationError(f"{path} is empty: expected rows of SKU,quantity", field="file")
    header = [cell.strip().lower() for cell in rows[0]]
    sku_at, quantity_at, start = 0, 1, 0
    if "sku" in header:
        if "quantity" not in header:
            raise ValidationError(f"{path}: the header has sku but no quantity column",
                                  field="file")
        sku_at, quantity_at, start = header.index("sku"), header.index("quantity"), 1
    levels: dict[str, int] = {}
    for number, row in enumerate(rows[start:], start=start + 1):
        if not any(cell.strip() for cell in row):
            continue
        try:
            sku, quantity = row[sku_at].strip(), int(row[quantity_at].strip())
        except (IndexError, ValueError):
            raise ValidationError(f"{path} line {number}: expected SKU,quantity (a whole number), "
                                  f"got {','.join(row)!r}", field="file") from None
        if not sku:
            raise ValidationError(f"{path} line {number}: the SKU is empty", field="file")
        levels[sku] = quantity
    if not levels:
        raise ValidationError(f"{path} has no stock rows", field="file")
    return levels


def import_stock(ctx: Context) -> int:
    from shopdesk.cli.sources import run_with_services

    levels = read_stock_csv(ctx.args.file)  # read before the store opens: a bad file changes nothing

    async def work(services: Services) -> int:
        affected = await services.detection.import_stock(levels, source="import")
        short = sum(1 for quantity in levels.values() if quantity <= 0)
        print(f"stock of {len(levels)} SKUs stored ({short} at zero or below); "
              f"{len(affected)} open orders with them will be checked at the next sweep "
              "(`shopdesk check` checks now)")
        return 0

    return run_with_services(ctx, work)
