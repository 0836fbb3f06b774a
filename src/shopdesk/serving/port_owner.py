"""Who answers on a port: asks its /healthz whether it is a shopdesk, which store it serves, with
which pid and in which role (`shopdesk serve` or a terminal UI). How a starting shopdesk decides to
serve, attach or refuse (runtime.py, server.py, who_serves.py)."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

HEALTH_TIMEOUT_SECONDS = 2.0


@dataclass
class PortOwner:
    """Who answers /healthz on a busy port."""

    shopdesk: bool
    pid: int | None = None
    store: str | None = None
    role: str | None = None  # "serve" or "tui" (None: a shopdesk too old to say)


def address(host: str, port: int) -> str:
    """host:port as a URL writes it ([::1]:8765 for IPv6)."""
    return f"[{host}]:{port}" if ":" in host.strip("[]") else f"{host}:{port}"


_ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "::": "::1", "[::]": "::1", "": "127.0.0.1"}


def _fetch_health(host: str, port: int) -> PortOwner:
    host = _ANY_ADDRESS.get(host, host)  # ask the listener on all addresses over loopback
    url = f"http://{address(host, port)}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=HEALTH_TIMEOUT_SECONDS) as response:
            body = json.loads(response.read().decode("utf-8"))
    except (OSError, ValueError, urllib.error.URLError):
        return PortOwner(shopdesk=False)
    if not isinstance(body, dict) or body.get("app") != "shopdesk":
        return PortOwner(shopdesk=False)
    pid, store, role = body.get("pid"), body.get("store"), body.get("role")
    return PortOwner(shopdesk=True, pid=pid if isinstance(pid, int) else None,
                     store=store if isinstance(store, str) else None,
                     role=role if isinstance(role, str) else None)


async def port_owner(host: str, port: int) -> PortOwner:
    return await asyncio.to_thread(_fetch_health, host, port)


def same_store(owner: PortOwner, store_path: Path) -> bool:
    if not owner.shopdesk or not owner.store:
        return False
    try:
        return Path(owner.store).resolve() == store_path.resolve()
    except OSError:
        return False
