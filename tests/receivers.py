"""A local HTTP receiver for outbound tests and the bench (plain asyncio streams, HTTP/1.1 with
keep-alive): it records each POST (headers, body) and answers as its `behave` says."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import msgspec


class Received(msgspec.Struct):
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """`behave(n, request)` -> (status, headers, body) for the n-th request (1, 2, …), or
    "hang" to never answer; `delay` seconds before each answer."""

    def __init__(self, behave: Callable | None = None, *, delay: float = 0.0) -> None:
        self.behave = behave or (lambda n, request: (200, {}, b'{"ok":true}'))
        self.delay = delay
        self.requests: list[Received] = []
        self.connections = 0
        self.open_connections = 0
        self.max_open_connections = 0
        self.arrived = asyncio.Event()
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def __aenter__(self) -> Receiver:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc) -> None:
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 2)

    async def wait_for(self, count: int, timeout: float = 30.0) -> None:
        async with asyncio.timeout(timeout):
            while len(self.requests) < count:
                self.arrived.clear()
                await self.arrived.wait()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open_connections += 1
        self.max_open_connections = max(self.max_open_connections, self.open_connections)
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                _method, path, _ = line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while True:
                    header = await reader.readline()
                    if header in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = header.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                request = Received(path=path, headers=headers, body=body)
                self.requests.append(request)
                self.arrived.set()
                answer = self.behave(len(self.requests), request)
                if answer == "hang":
                    await asyncio.Event().wait()
                status, extra, payload = answer
                if self.delay:
                    await asyncio.sleep(self.delay)
                head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(payload)}",
                        "Content-Type: application/json"]
                head += [f"{name}: {value}" for name, value in extra.items()]
                writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            return
        finally:
            self.open_connections -= 1
            writer.close()
