"""GET /healthz: alive, which store this process serves and whether it is `shopdesk serve` or a
terminal UI (so a second shopdesk can tell whether to attach, or, being the service, to ask for the
API: see shopdesk.serving.handover)."""

from __future__ import annotations

import contextlib
import os

import msgspec
from litestar import get
from litestar.datastructures import State
from litestar.di import NamedDependency

from shopdesk import __version__
from shopdesk.api.errors import error_responses
from shopdesk.services import Services


class Health(msgspec.Struct):
    status: str
    """"ok"; "store_missing" when the store file was deleted or moved while this process runs
    (nothing can be stored: restart it on the store)."""
    app: str
    """Always "shopdesk": lets a client tell shopdesk from whatever else holds the port."""
    version: str
    store: str
    """Absolute path of the store file this process serves."""
    pid: int
    role: str = "tui"
    """Who serves: "serve" (`shopdesk serve`) or "tui" (a terminal UI, beside its screen)."""
    last_backup: str | None = None
    """When the last backup of the store was made (ISO 8601, UTC), by `shopdesk backup` or the
    scheduled backups; null when none was."""


ROLE_STATE_KEY = "role"  # app.state[ROLE_STATE_KEY] = "serve" | "tui", set by whoever serves


@get("/healthz", summary="Liveness and which store is served", tags=["health"],
     responses=error_responses())
async def healthz(services: NamedDependency[Services], state: State) -> Health:
    last = None
    if not services.store.vanished():
        with contextlib.suppress(Exception):  # a store closing: liveness answers all the same
            last = await services.backups.last()
    return Health(
        status="store_missing" if services.store.vanished() else "ok", app="shopdesk",
        version=__version__,
        store=str(services.store.path.resolve()), pid=os.getpid(),
        role=str(state.get(ROLE_STATE_KEY, "tui")),
        last_backup=last.at.isoformat() if last is not None else None,
    )


ROUTES = [healthz]
