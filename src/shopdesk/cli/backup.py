"""`shopdesk backup [PATH] [--force]` and `shopdesk restore PATH` (README "Backups")."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shopdesk.cli import Context


def register(subparsers: argparse._SubParsersAction) -> None:
    backup = subparsers.add_parser(
        "backup", help="copy the store, safely while shopdesk runs, checked",
        description="Copy the store to PATH (default: a file named for the store and the time in "
        "config [backup] dir, else beside the store), safely while shopdesk serves and takes "
        "webhooks. The copy is checked (SQLite integrity_check) and appears under its name only "
        "when whole.",
    )
    backup.add_argument("path", nargs="?", metavar="PATH", help="the backup file to write")
    backup.add_argument("--force", action="store_true", help="replace PATH if it exists")
    backup.set_defaults(handler=run_backup)
    restore = subparsers.add_parser(
        "restore", help="put a backup in the store's place (the store replaced is kept aside)",
        description="Replace the store at --db by the backup PATH, after checking that PATH is a "
        "whole shopdesk store no newer than this shopdesk. Refused while any shopdesk process "
        "serves or has the store open. The store replaced is kept beside it, renamed with the "
        "time.",
    )
    restore.add_argument("path", metavar="PATH", help="the backup file")
    restore.set_defaults(handler=run_restore)


def _size(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB" if size >= 1_048_576 else f"{max(size // 1024, 1)} KB"


def run_backup(ctx: Context) -> int:
    from shopdesk.cli.cases import existing_store_path
    from shopdesk.services import Services
    from shopdesk.store import open_store

    settings = ctx.settings()
    path = existing_store_path(ctx)
    shown = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if shown:
            print(f"\rbacking up: {done * 100 // max(total, 1):3d}% of {_size(total)}",
                  end="", file=sys.stderr, flush=True)

    async def main() -> int:
        async with open_store(path) as store:
            services = Services(store, settings)
            try:
                done = await services.backups.back_up(ctx.args.path, force=ctx.args.force,
                                                      progress=progress)
            finally:
                if shown:
                    print("\r\033[K", end="", file=sys.stderr, flush=True)
        print(f"backed up {path} to {done.path} ({_size(done.size)}, checked)")
        return 0

    return asyncio.run(main())


def run_restore(ctx: Context) -> int:
    from shopdesk.domain.errors import ShopdeskError
    from shopdesk.services.restore import restore

    store = ctx.db_path
    if store.is_dir():
        raise ShopdeskError(f"{store} is a directory, not a store file", field="db")

    async def main():
        if store.exists():
            served = await _served_by(store)
            if served is not None:
                raise ShopdeskError(
                    f"{served} serves {store}: stop it first, then restore (nothing was changed)",
                    field="db")
        return await restore(Path(ctx.args.path).expanduser(), store)

    outcome = asyncio.run(main())
    what = (f"restored {store} from {outcome.backup.path} (version {outcome.backup.version}, "
            f"{outcome.backup.cases} cases)")
    if outcome.aside is not None:
        what += f"; the store it replaced is kept as {outcome.aside}"
    print(what)
    if outcome.upgraded:
        print(f"the backup is from an older shopdesk (version {outcome.backup.version}): it is "
              "upgraded when shopdesk next opens it")
    return 0


async def _served_by(store: Path) -> str | None:
    """Who serves the store's API, as its record (store_meta api_server) and that address's
    /healthz agree: "shopdesk serve (pid N) on host:port"; None when nobody does."""
    import json

    from shopdesk.serving.port_owner import port_owner, same_store
    from shopdesk.serving.who_serves import KEY
    from shopdesk.store.backup import read_meta

    raw = await asyncio.to_thread(read_meta, store, KEY)
    try:
        record = json.loads(raw) if raw else None
        pid, host, port = int(record["pid"]), str(record["host"]), int(record["port"])
    except (ValueError, KeyError, TypeError):
        return None
    owner = await port_owner(host, port)
    if not same_store(owner, store) or owner.pid != pid:
        return None
    who = "shopdesk serve" if owner.role == "serve" else "a shopdesk terminal UI"
    return f"{who} (pid {pid}) on {host}:{port}"
