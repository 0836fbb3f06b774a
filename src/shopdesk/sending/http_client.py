"""A small HTTP/1.1 client on asyncio streams, for POSTs to hooks: just what the outbox needs.

Why not httpx: its connection pool costs a few milliseconds of CPU per request in the loop that
also serves the TUI and intake; this costs a fraction of one, so a busy outbox does not slow the
desk (bench/outbound.py). What it does:

- keep-alive connections per (scheme, host, port): at most `max_connections` in use (a request
  waits when all are busy) and as many idle (to one host: at most `max_connections` in all);
- https with the system's CA store and hostname checks (ssl.create_default_context);
- a connect timeout, and the caller bounds the whole request (asyncio.timeout);
- the answer's body read up to `body_cap` bytes (Content-Length, chunked, or until close); a
  connection whose answer was not read whole is closed, not reused;
- no redirects, proxies, cookies or compression; a request on a kept-alive connection that the
  server had closed meanwhile is sent once more on a new one (nothing was answered on it).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from urllib.parse import urlsplit


class ConnectTimeout(TimeoutError):
    """No connection within the connect timeout."""


class ResponseError(OSError):
    """The server's answer is not HTTP/1.x."""


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.used = False

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


class HttpClient:
    def __init__(self, *, max_connections: int = 8, connect_seconds: float = 5.0,
                 body_cap: int = 4096, ssl_context: ssl.SSLContext | None = None) -> None:
        self._slots = asyncio.Semaphore(max_connections)
        self._max_idle = max_connections
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._connect_seconds = connect_seconds
        self._body_cap = body_cap
        self._ssl = ssl_context
        self._closed = False

    def _tls(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl.create_default_context()
        return self._ssl

    async def aclose(self) -> None:
        self._closed = True
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()

    async def post(self, url: str, headers: dict[str, str], body: bytes) -> Answer:
        if self._closed:
            raise RuntimeError("the HTTP client is closed")
        parts = urlsplit(url)
        scheme, host = parts.scheme, parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        shown_host = f"[{host}]" if ":" in host else host
        if parts.port and parts.port != (443 if scheme == "https" else 80):
            shown_host = f"{shown_host}:{port}"
        lines = [f"POST {target} HTTP/1.1", f"Host: {shown_host}",
                 f"Content-Length: {len(body)}", "Connection: keep-alive"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        key = (scheme, host, port)
        async with self._slots:  # one open connection per slot, idle ones included
            for _attempt in range(2):
                connection = self._take_idle(key) or await self._connect(key)
                reused = connection.used
                try:
                    connection.writer.write(request)
                    await connection.writer.drain()
                    answer, reusable = await self._read_answer(connection.reader)
                except (ConnectionError, asyncio.IncompleteReadError, ResponseError) as error:
                    connection.close()
                    if reused and _nothing_answered(error):
                        continue  # the server closed it while it was idle: a new connection
                    raise
                except BaseException:
                    connection.close()
                    raise
                if reusable and not self._closed and self._idle_count() < self._max_idle:
                    connection.used = True
                    self._idle.setdefault(key, []).append(connection)
                else:
                    connection.close()
                return answer
        raise AssertionError("unreachable")

    def _take_idle(self, key: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(key)
        while idle:
            connection = idle.pop()
            if not connection.reader.at_eof() and not connection.writer.is_closing():
                return connection
            connection.close()
        return None

    def _idle_count(self) -> int:
        return sum(len(connections) for connections in self._idle.values())

    async def _connect(self, key: tuple[str, str, int]) -> _Connection:
        scheme, host, port = key
        options = {"ssl": self._tls(), "server_hostname": host} if scheme == "https" else {}
        try:
            async with asyncio.timeout(self._connect_seconds):
                reader, writer = await asyncio.open_connection(host, port, limit=65536,
                                                               **options)
        except TimeoutError as error:
            raise ConnectTimeout(f"no connection within {self._connect_seconds:g} s") from error
        return _Connection(reader, writer)

    async def _read_answer(self, reader: asyncio.StreamReader) -> tuple[Answer, bool]:
        while True:
            status_line = await reader.readline()
            if not status_line:
                raise asyncio.IncompleteReadError(b"", None)
            parts = status_line.decode("latin-1").split(" ", 2)
            if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
                raise ResponseError(f"not an HTTP answer: {status_line[:60]!r}")
            status = int(parts[1])
            headers: dict[str, str] = {}
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b"\n"):
                    break
                if not line:
                    raise asyncio.IncompleteReadError(b"", None)
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            if 100 <= status < 200:
                continue  # an interim answer (100 Continue): the real one follows
            break
        body, whole = await self._read_body(reader, headers)
        keep = whole and headers.get("connection", "").lower() != "close" and \
            parts[0] != "HTTP/1.0"
        return Answer(status, headers, body), keep

    async def _read_body(self, reader: asyncio.StreamReader,
                         headers: dict[str, str]) -> tuple[bytes, bool]:
        """(up to body_cap bytes of the body, whether all of it was read)."""
        cap = self._body_cap
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = bytearray()
            while True:
                size_line = await reader.readline()
                try:
                    size = int(size_line.split(b";")[0].strip() or b"x", 16)
                except ValueError:
                    return bytes(body[:cap]), False
                if size == 0:
                    while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return bytes(body[:cap]), True
                if len(body) + size > cap:
                    body += await reader.read(cap - len(body))
                    return bytes(body[:cap]), False
                body += await reader.readexactly(size)
                await reader.readline()
        length = headers.get("content-length")
        if length is not None and length.isdigit():
            size = int(length)
            if size > cap:
                return await reader.readexactly(cap) if cap else b"", False
            return await reader.readexactly(size), True
        return await reader.read(cap), False  # until the server closes: not reusable


def _nothing_answered(error: BaseException) -> bool:
    return isinstance(error, (ConnectionError, asyncio.IncompleteReadError))
