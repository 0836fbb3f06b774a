"""Plain `shopdesk`: the terminal UI and the API in one process (runtime.run)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shopdesk.cli import Context


def run_default(ctx: Context) -> int:
    from shopdesk.domain.errors import ValidationError
    from shopdesk.serving import runtime

    lang = getattr(ctx.args, "lang", None)
    if lang not in (None, "en", "zh"):
        raise ValidationError(f"--lang must be en or zh, not {lang!r}", field="lang")
    db_path, new_store = ctx.store_to_run()  # a mistyped --db is refused, not created
    settings = ctx.settings()
    return asyncio.run(
        runtime.run(
            db_path=db_path,
            settings=settings,
            operator=ctx.requested_operator(),
            lang=lang,
            serve_api=not getattr(ctx.args, "no_api", False),
            new_store=new_store,
            config_path=ctx.config_path(),
        )
    ) or 0
