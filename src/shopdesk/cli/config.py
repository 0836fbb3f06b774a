"""`shopdesk config show [--json] | get KEY | set KEY VALUE | edit | import FILE.toml | history`:
the shop's settings, kept in the store (the same for every process and account on it)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shopdesk.cli import Context


def register(subparsers: argparse._SubParsersAction) -> None:
    config = subparsers.add_parser(
        "config", help="the shop's settings in the store: show, get, set, edit, import",
        description="The shop's settings (shop name, time zone, calendar, business hours, "
        "holidays, SLA targets, approval limits, detection, [api], close-after, CSV BOM) live in "
        "the store, the same for every process and account; running shopdesks take a change "
        "within a minute. Personal settings (lang, bell) stay in your config file. Only an owner "
        "changes them once operators are named. Every change is recorded with who and when.",
    )
    commands = config.add_subparsers(dest="config_command", metavar="SUBCOMMAND", required=True)
    show = commands.add_parser("show", help="every shop setting as TOML (or --json)")
    show.add_argument("--json", action="store_true", help="JSON instead of TOML")
    show.set_defaults(handler=show_settings)
    get = commands.add_parser("get", help="one setting, e.g. timezone or sla.L2.first_response")
    get.add_argument("key", metavar="KEY")
    get.set_defaults(handler=get_setting)
    put = commands.add_parser(
        "set", help="change one setting: KEY VALUE (VALUE in TOML; plain text needs no quotes)",
        description="Change one setting, e.g. `config set calendar CN`, `config set "
        "sla.L2.first_response 2h`, `config set holidays '[2026-11-11]'`.")
    put.add_argument("key", metavar="KEY")
    put.add_argument("value", metavar="VALUE")
    put.set_defaults(handler=set_setting)
    edit = commands.add_parser("edit", help="edit every shop setting in $EDITOR (checked before saving)")
    edit.set_defaults(handler=edit_settings)
    load = commands.add_parser(
        "import", help="put the shop settings of a TOML file (e.g. an old config.toml) in the store",
        description="Put the shop keys of FILE in the store (other shop settings stay as they "
        "are); the personal keys in it (lang, bell) and [[operators]] are left out.")
    load.add_argument("file", metavar="FILE.toml")
    load.set_defaults(handler=import_settings)
    history = commands.add_parser("history", help="the latest changes: when, who, what")
    history.add_argument("--limit", type=int, default=20, metavar="N")
    history.set_defaults(handler=show_history)


def _run(ctx: Context, work) -> int:
    from shopdesk.cli.cases import _run_with_services

    async def with_notes(services) -> int:
        for note in services.shop.file_notes(ctx.config_path(), await services.shop.stored_keys()):
            print(f"shopdesk: {note}", file=sys.stderr)
        return await work(services)

    return _run_with_services(ctx, with_notes)


def show_settings(ctx: Context) -> int:
    async def work(services) -> int:
        values = await services.shop.values()
        if ctx.args.json:
            import msgspec

            print(msgspec.json.encode(values).decode())
            return 0
        from shopdesk.settings_text import to_toml

        print(f"# the shop's settings in {ctx.db_path} (change: shopdesk config set|edit|import)")
        print(to_toml(values), end="")
        return 0

    return _run(ctx, work)


def get_setting(ctx: Context) -> int:
    async def work(services) -> int:
        print(_text(await services.shop.get(ctx.args.key)))
        return 0

    return _run(ctx, work)


def _text(value) -> str:
    from shopdesk.settings_text import _scalar

    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        from shopdesk.settings_text import to_toml

        return to_toml(value).rstrip("\n")
    return _scalar(value, dates=True)


def set_setting(ctx: Context) -> int:
    from shopdesk.settings_text import parse_value

    async def work(services) -> int:
        actor = await ctx.actor(services)
        now_in_use = await services.shop.set(actor, ctx.args.key, parse_value(ctx.args.value))
        print(f"{ctx.args.key} = {_text(now_in_use)} (running shopdesks take it within a minute)")
        return 0

    return _run(ctx, work)


def import_settings(ctx: Context) -> int:
    from shopdesk.config import SHOP_KEYS
    from shopdesk.domain.errors import ValidationError
    from shopdesk.settings_text import parse_toml

    import tomllib

    path = Path(ctx.args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "not UTF-8 text"
        raise ValidationError(f"{path}: {reason}", field="file") from error
    values = parse_toml(text, str(path), shop_only=True)
    everything = tomllib.loads(text)  # parsed once above already: cannot fail here

    async def work(services) -> int:
        actor = await ctx.actor(services)
        changed = await services.shop.replace(actor, values, whole=False)
        left = sorted(set(everything) - set(SHOP_KEYS))
        print(f"imported from {path}: " + (", ".join(changed) if changed else "nothing changed"))
        if left:
            print(f"not shop settings, left in the file: {', '.join(left)}")
        return 0

    return _run(ctx, work)


def edit_settings(ctx: Context) -> int:
    import os
    import shlex
    import subprocess
    import tempfile

    from shopdesk.domain.errors import ShopdeskError
    from shopdesk.settings_text import parse_toml, to_toml

    values_now: list[dict] = []

    async def current(services) -> int:
        values_now.append(await services.shop.values())
        return 0

    _run(ctx, current)
    before = to_toml(values_now[0])
    header = ("# The shop's settings. Save and quit to apply (checked first); a key left out goes "
              "back to its default.\n")
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.NamedTemporaryFile("w", suffix=".toml", prefix="shopdesk-settings-",
                                     delete=False, encoding="utf-8") as handle:
        handle.write(header + before)
        edited_path = Path(handle.name)
    try:
        result = subprocess.run([*shlex.split(editor), str(edited_path)], check=False)
    except OSError as error:
        raise ShopdeskError(f"cannot start the editor {editor!r}: {error.strerror}",
                            field="EDITOR") from error
    if result.returncode != 0:
        raise ShopdeskError(f"the editor ended with code {result.returncode}; nothing changed "
                            f"(your text: {edited_path})", field="EDITOR")
    text = edited_path.read_text(encoding="utf-8")
    if text.removeprefix(header) == before:
        edited_path.unlink(missing_ok=True)
        print("nothing changed")
        return 0
    try:
        values = parse_toml(text, "the edited settings")

        async def save(services) -> int:
            actor = await ctx.actor(services)
            changed = await services.shop.replace(actor, values, whole=True)
            print("changed: " + (", ".join(changed) if changed else "nothing"))
            return 0

        code = _run(ctx, save)
    except ShopdeskError as error:
        raise ShopdeskError(f"{error.detail} — nothing saved; your text is in {edited_path} "
                            f"(fix it, then `shopdesk config import {edited_path}`)",
                            field=error.field) from error
    edited_path.unlink(missing_ok=True)
    return code


def show_history(ctx: Context) -> int:
    async def work(services) -> int:
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(services.settings.timezone)
        changes = await services.shop.history(max(1, ctx.args.limit))
        if not changes:
            print("no changes recorded")
        for change in changes:
            when = change.at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
            old = "(default)" if change.old is None else _text(change.old)
            new = "(default)" if change.new is None else _text(change.new)
            print(f"{when}  {change.actor}  {change.key}: {old} -> {new}")
        return 0

    return _run(ctx, work)
