"""Handing the API over to `shopdesk serve`: the service wins over terminal UIs (QA N14).

A terminal UI serves its store's API when nobody else does (it started first, or the service
stopped). A `shopdesk serve` started on that store then asks for it through the store itself:

1. serve writes a request into store_meta (`api_handover`: who asks, which pid is asked, when);
2. the serving TUI looks for a request addressed to it every POLL_SECONDS, stops its API (it stops
   accepting at once and drains the requests in flight) and attaches to the service ("API: pid N");
3. serve binds the port as soon as it is free, waiting at most WAIT_SECONDS, then clears the request.

Only a process that can open the store can ask, and nothing listens beyond what already runs. While
a request is fresh no attached TUI takes the port, so the service is not raced for it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shopdesk.store import meta

if TYPE_CHECKING:
    from shopdesk.store.db import Store

KEY = "api_handover"
WAIT_SECONDS = 10.0  # how long `shopdesk serve` waits for a TUI to hand the API over
POLL_SECONDS = 0.25  # how often a serving TUI looks for a request addressed to it
FRESH_SECONDS = WAIT_SECONDS + 5.0  # a request older than this is left over from a serve that died


@dataclass(frozen=True)
class HandoverRequest:
    """`shopdesk serve` (pid `by`) asks the shopdesk of pid `to` for the API, at `at` (epoch s)."""

    by: int
    to: int
    at: float

    def is_fresh(self, now: float) -> bool:
        return now - FRESH_SECONDS <= self.at <= now + FRESH_SECONDS


async def request(store: Store, *, by: int, to: int, now: float | None = None) -> None:
    value = {"by": by, "to": to, "at": time.time() if now is None else now}
    async with store.transaction() as conn:
        await meta.set_value(conn, KEY, json.dumps(value))


async def pending(store: Store, now: float | None = None) -> HandoverRequest | None:
    """The fresh handover request in the store, if any."""
    raw = await meta.get_value(store.reader, KEY)
    if raw is None:
        return None
    try:
        value = json.loads(raw)
        found = HandoverRequest(by=int(value["by"]), to=int(value["to"]), at=float(value["at"]))
    except (ValueError, KeyError, TypeError):
        return None
    return found if found.is_fresh(time.time() if now is None else now) else None


async def withdraw(store: Store, *, by: int) -> None:
    """Clear the request `by` made (served, or given up); a newer one by someone else stays."""
    async with store.transaction() as conn:
        raw = await meta.get_value(conn, KEY)
        try:
            mine = raw is not None and int(json.loads(raw)["by"]) == by
        except (ValueError, KeyError, TypeError):
            mine = True  # unreadable: nobody's
        if mine:
            await meta.delete_value(conn, KEY)
