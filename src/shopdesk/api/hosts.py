"""Allowed Host headers: local names only unless api.allowed_hosts says more.

Litestar's AllowedHostsMiddleware matches the Host header *with* its port ("localhost:8765" is not
"localhost") and answers in its own body shape, so shopdesk checks the name itself.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from litestar.types import ASGIApp, Receive, Scope, Send


def host_name(host_header: str) -> str:
    """The name part of a Host header: "[::1]:8765" -> "[::1]", "Shop.Example:443" -> "shop.example"."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_allowed(name: str, allowed_hosts: Iterable[str]) -> bool:
    for allowed in allowed_hosts:
        allowed = allowed.strip().lower()
        if allowed == "*" or allowed == name:
            return True
        if allowed.startswith("*.") and name.endswith(allowed[1:]):
            return True
    return False


class AllowedHostsMiddleware:
    def __init__(self, app: ASGIApp, allowed_hosts: list[str]) -> None:
        self.app = app
        self.allowed_hosts = list(allowed_hosts)

    @classmethod
    def factory(cls, allowed_hosts: list[str]):
        def middleware(app: ASGIApp) -> ASGIApp:
            return cls(app, allowed_hosts)

        return middleware

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = ""
        for key, value in scope.get("headers", ()):
            if key == b"host":
                host = value.decode("latin-1")
                break
        name = host_name(host)
        if name and is_allowed(name, self.allowed_hosts):
            await self.app(scope, receive, send)
            return
        shown = name or "(none)"
        body = msgspec.json.encode({
            "detail": f"host {shown!r} is not allowed; add it to api.allowed_hosts in the config "
                      "to serve it (e.g. behind a reverse proxy)",
            "field": "Host",
        })
        await send({
            "type": "http.response.start", "status": 400,
            "headers": [(b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode())],
        })
        await send({"type": "http.response.body", "body": body})
