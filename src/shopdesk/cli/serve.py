"""`shopdesk serve`: the HTTP API alone (a service), until SIGTERM/SIGINT; logs to the log file."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shopdesk.cli import Context


def register(subparsers: argparse._SubParsersAction) -> None:
    serve = subparsers.add_parser(
        "serve", help="run the HTTP API without the terminal UI",
        description="Serve webhooks and the case API on the store until SIGTERM or Ctrl+C (then "
        "in-flight requests finish). Logs go to the log file ($SHOPDESK_LOG or the user log dir).",
    )
    serve.add_argument("--host", help="address to listen on (default: api.host, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: api.port, 8765)")
    serve.set_defaults(handler=serve_api)


def serve_api(ctx: Context) -> int:
    import asyncio
    import logging

    from shopdesk import paths
    from shopdesk.domain.errors import ValidationError
    from shopdesk.logs import configure_file_logging

    port = ctx.args.port
    if port is not None and not 0 <= port <= 65535:
        raise ValidationError(f"--port must be 0-65535, not {port}", field="port")
    db_path, new_store = ctx.store_to_run()  # a mistyped --db is refused, not created
    settings = ctx.settings()
    configure_file_logging(paths.log_file())

    async def main() -> int:
        from shopdesk.services import Services
        from shopdesk.serving.server import serve_api as serve
        from shopdesk.store import open_store

        async with open_store(db_path) as store:
            if new_store:
                print(f"created a new empty store at {db_path} (first run)", flush=True)
            services = Services(store, settings)
            await services.shop.load()  # the shop's settings ([api] too) are the store's
            for note in services.shop.file_notes(ctx.config_path(),
                                                 await services.shop.stored_keys()):
                logging.getLogger("shopdesk.serve").warning("%s", note)  # a service: its log
            watch = asyncio.create_task(services.shop.watch(), name="settings-watch")
            try:
                await serve(services, services.settings, host=ctx.args.host, port=port,
                            announce=lambda line: print(line, flush=True))
            finally:
                watch.cancel()
        return 0

    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        return asyncio.run(main())
    return uvloop.run(main())
