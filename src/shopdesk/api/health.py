"""GET /healthz: alive, and which store this process serves (so a second shopdesk can tell)."""

from __future__ import annotations

import os

import msgspec
from litestar import get
from litestar.di import NamedDependency

from shopdesk import __version__
from shopdesk.api.errors import error_responses
from shopdesk.services import Services


class Health(msgspec.Struct):
    status: str
    """Always "ok" when the process answers."""
    app: str
    """Always "shopdesk": lets a client tell shopdesk from whatever else holds the port."""
    version: str
    store: str
    """Absolute path of the store file this process serves."""
    pid: int


@get("/healthz", summary="Liveness and which store is served", tags=["health"],
     sync_to_thread=False, responses=error_responses())
def healthz(services: NamedDependency[Services]) -> Health:
    return Health(
        status="ok", app="shopdesk", version=__version__,
        store=str(services.store.path.resolve()), pid=os.getpid(),
    )


ROUTES = [healthz]
