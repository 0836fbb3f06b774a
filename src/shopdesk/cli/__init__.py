"""`shopdesk` and its subcommands.

Each area registers its subcommands from its own module in this package (`shopdesk.cli.cases`,
…); a handler imports what it needs when it runs, so `shopdesk --version` and `shopdesk cases list`
never load Textual or Litestar. Errors: one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from pathlib import Path

from shopdesk import __version__

# Modules with `register(subparsers)`; each adds its subcommands and sets `handler` on them.
COMMAND_MODULES: tuple[str, ...] = (
    "shopdesk.cli.cases",
    "shopdesk.cli.incidents",
    "shopdesk.cli.demo",
    "shopdesk.cli.init",
    "shopdesk.cli.export",
    "shopdesk.cli.sources",
    "shopdesk.cli.tokens",
    "shopdesk.cli.serve",
    "shopdesk.cli.backup",
    "shopdesk.cli.detection",
    "shopdesk.cli.config",
    "shopdesk.cli.calendar",
    "shopdesk.cli.outbound",
    "shopdesk.cli.operators",
)

EXIT_USAGE = 2


class Context:
    """What every handler gets: the parsed arguments and where the store and config are."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args

    @property
    def db_path(self) -> Path:
        from shopdesk import paths

        return Path(self.args.db) if self.args.db else paths.default_db()

    @property
    def db_is_default(self) -> bool:
        """Neither --db nor $SHOPDESK_DB: the store in the user data dir."""
        import os

        return not self.args.db and not os.environ.get("SHOPDESK_DB")

    def store_to_run(self) -> tuple[Path, bool]:
        """(path, new) for `shopdesk` and `shopdesk serve`: an existing store, or on first run the
        default store, which opening creates (new=True). A --db or $SHOPDESK_DB that does not
        exist is refused: a typo must not become an empty desk or a service taking webhooks into
        the wrong file (`shopdesk init` and `shopdesk demo` create a store on purpose)."""
        from shopdesk.domain.errors import ShopdeskError

        path = self.db_path
        if path.is_dir():
            raise ShopdeskError(f"{path} is a directory, not a store file", field="db")
        if path.exists():
            return path, False
        if not self.db_is_default:
            raise ShopdeskError(no_store_message(path), field="db")
        return path, True

    def config_name(self) -> str | None:
        """The config file settings come from, for messages; None when there is none."""
        from shopdesk import paths

        if self.args.config:
            return self.args.config
        path = paths.config_file()
        return str(path) if path.exists() else None

    def config_path(self) -> Path | None:
        """The person's config file (None: no --config and no file in the user config dir)."""
        from shopdesk import paths

        if self.args.config:
            return Path(self.args.config)
        path = paths.config_file()
        return path if path.exists() else None

    def settings(self):
        from shopdesk import paths
        from shopdesk.config import load_settings

        if self.args.config:
            settings = load_settings(Path(self.args.config), required=True)
        else:
            settings = load_settings(paths.config_file())
        if settings.operators and not getattr(self, "_warned", False):
            self._warned = True
            print(f"shopdesk: warning: [[operators]] in {self.config_name()} is no longer read; "
                  "operators and their roles live in the store (shopdesk operator list)",
                  file=sys.stderr)
        return settings

    def requested_operator(self) -> str | None:
        """--operator or $SHOPDESK_OPERATOR: which of the operators mapped to this OS account."""
        import os

        return self.args.operator or os.environ.get("SHOPDESK_OPERATOR") or None

    async def actor(self, services):
        """Who runs this command: the operator mapped to the OS account (services/operators.py)."""
        from shopdesk.services import operators

        return await services.operators.identify(operators.os_account(), self.requested_operator())


def no_store_message(path: Path) -> str:
    return (f"no store at {path} (run `shopdesk --db {path} init` to create an empty store, "
            f"`shopdesk --db {path} demo` for a demo store, or pass --db PATH)")


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line on stderr (with where to get help), exit code 2."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="shopdesk",
        description="A case desk for the abnormal and urgent orders of a small online shop.",
    )
    parser.add_argument("--version", action="version", version=f"shopdesk {__version__}")
    parser.add_argument("--db", help="store file (default: $SHOPDESK_DB or the user data dir)")
    parser.add_argument("--config", help="config TOML (default: $SHOPDESK_CONFIG or the user config dir)")
    parser.add_argument("--operator", help="which of the operators mapped to your OS account you "
                        "act as (default: $SHOPDESK_OPERATOR, else the one named like the account)")
    parser.add_argument("--lang", help="UI language of the terminal UI: en or zh (default: config, $LANG)")
    parser.add_argument("--no-api", action="store_true", help="run the terminal UI without the API")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def run_async(coroutine) -> int:
    import asyncio  # not at module level: `shopdesk --version` must start fast

    return asyncio.run(coroutine) or 0


def main(argv: list[str] | None = None) -> int:
    from shopdesk.domain.errors import ShopdeskError

    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[Context], int] | None = getattr(args, "handler", None)
    if handler is None:
        handler = _default_handler()
    try:
        return handler(Context(args)) or 0
    except ShopdeskError as error:
        print(f"shopdesk: {error.detail}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def _default_handler() -> Callable[[Context], int]:
    """`shopdesk` alone: the TUI and the API in one process (shopdesk.cli.run)."""
    try:
        module = importlib.import_module("shopdesk.cli.run")
    except ModuleNotFoundError:
        def missing(context: Context) -> int:
            print("shopdesk: the terminal UI is not installed in this build", file=sys.stderr)
            return EXIT_USAGE
        return missing
    return module.run_default
