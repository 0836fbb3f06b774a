"""Which process serves a store's API, and at which address, recorded in the store itself
(store_meta `api_server`; QA3 Q3).

A process learns who serves its store from the port it is configured for (its /healthz names the
store) — and from this record, so that a `shopdesk serve --port P` and a terminal UI configured for
another port still find each other: a second `serve` on the store is refused whatever its port, a
TUI attaches to the service wherever it listens, and a serving TUI hands the API over to a `serve`
on another port. The record is trusted only while the address it names answers /healthz for this
store with the same pid: a process killed without clearing it is simply not found there.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shopdesk.store import meta

if TYPE_CHECKING:
    from shopdesk.serving.port_owner import PortOwner
    from shopdesk.store.db import Store

KEY = "api_server"


@dataclass(frozen=True)
class Server:
    """The process `pid` serves the store's API on host:port."""

    pid: int
    host: str
    port: int


async def record(store: Store, host: str, port: int) -> None:
    """This process serves the store's API on host:port from now on."""
    value = json.dumps({"pid": os.getpid(), "host": host, "port": port})
    async with store.transaction() as conn:
        await meta.set_value(conn, KEY, value)


async def forget(store: Store) -> None:
    """This process no longer serves the API (a record by another process stays)."""
    async with store.transaction() as conn:
        found = _parse(await meta.get_value(conn, KEY))
        if found is None or found.pid == os.getpid():
            await meta.delete_value(conn, KEY)


async def elsewhere(store: Store, host: str, port: int) -> tuple[Server, PortOwner] | None:
    """The process that serves this store's API at another address than host:port (not this
    one), as its /healthz confirms; None when there is none."""
    from shopdesk.serving.port_owner import port_owner, same_store

    found = _parse(await meta.get_value(store.reader, KEY))
    if found is None or found.pid == os.getpid() or (found.host, found.port) == (host, port):
        return None
    owner = await port_owner(found.host, found.port)
    if not same_store(owner, store.path) or owner.pid != found.pid:
        return None
    return found, owner


def _parse(raw: str | None) -> Server | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
        return Server(pid=int(value["pid"]), host=str(value["host"]), port=int(value["port"]))
    except (ValueError, KeyError, TypeError):
        return None
