"""One HTTP POST of an event to a hook, safely (docs/outbound.md, "Safety").

http and https only; the URL checked again at send time (never shopdesk's own API); redirects are
not followed (a 3xx is a failure naming where it pointed); 5 s to connect, 15 s in all; at most
`BODY_CAP` bytes of the answer read; TLS certificates verified; no proxy from the environment
(sending/http_client.py). The hook's secret and a URL's query (where WeCom and DingTalk put their keys) never
reach a log or an error text.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from shopdesk.domain import chat_formats
from shopdesk.domain.errors import ValidationError
from shopdesk.domain.outbound import Hook, OutboundEvent, Outcome, check_hook_url
from shopdesk.sending.http_client import ConnectTimeout, HttpClient

if TYPE_CHECKING:
    from shopdesk.config import Settings

CONNECT_SECONDS = 5.0
TOTAL_SECONDS = 15.0
BODY_CAP = 4096
MAX_CONNECTIONS = 8


def shown_url(url: str) -> str:
    """A URL as logs and lists show it: its query's values (robot keys, tokens) masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(not a URL)"
    query = "&".join(f"{pair.partition('=')[0]}=…" for pair in parts.query.split("&") if pair)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _classify(status: int, headers, answer: bytes, format: str) -> Outcome:
    text = answer[:300].decode("utf-8", "replace").strip()
    if 200 <= status < 300:
        error = chat_formats.chat_answer_error(format, answer)
        if error:
            return Outcome(ok=False, answer=error)
        return Outcome(ok=True, answer=f"HTTP {status} {text}".strip())
    if 300 <= status < 400:
        where = shown_url(headers.get("location", "")) if headers.get("location") else "?"
        return Outcome(ok=False, permanent=True,
                       answer=f"HTTP {status}: redirect to {where} not followed; give the hook "
                              "its final URL")
    permanent = 400 <= status < 500 and status not in (408, 425, 429)
    return Outcome(ok=False, permanent=permanent, answer=f"HTTP {status} {text}".strip())


class HttpPoster:
    """A pooled HTTP client for hooks: `async with HttpPoster(settings) as poster`."""

    def __init__(self, settings: Settings, *, max_connections: int = MAX_CONNECTIONS,
                 connect_seconds: float = CONNECT_SECONDS, total_seconds: float = TOTAL_SECONDS,
                 body_cap: int = BODY_CAP) -> None:
        self._settings = settings
        self._max_connections = max_connections
        self._connect_seconds = connect_seconds
        self._total_seconds = total_seconds
        self._body_cap = body_cap
        self._client = None

    async def __aenter__(self) -> HttpPoster:
        self._client = HttpClient(max_connections=self._max_connections,
                                  connect_seconds=self._connect_seconds, body_cap=self._body_cap)
        return self

    async def __aexit__(self, *exc) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def deliver(self, hook: Hook, event: OutboundEvent, *, lang: str,
                      now: float | None = None) -> Outcome:
        import time

        assert self._client is not None, "use HttpPoster in `async with`"
        api = self._settings.api
        try:
            check_hook_url(hook.url, api_host=api.host, api_port=api.port,
                           api_names=api.allowed_hosts)
        except ValidationError as error:
            return Outcome(ok=False, permanent=True, answer=error.detail)
        url, headers, body = chat_formats.request(
            hook.format, hook.url, hook.secret, event, lang=lang,
            now=time.time() if now is None else now)
        try:
            async with asyncio.timeout(self._total_seconds):
                answer = await self._client.post(url, headers, body)
        except ConnectTimeout:
            return Outcome(ok=False, answer=f"no connection within {self._connect_seconds:g} s")
        except TimeoutError:
            return Outcome(ok=False, answer=f"no answer within {self._total_seconds:g} s")
        except ssl.SSLError as error:
            return Outcome(ok=False, answer=f"TLS: {error}"[:300])
        except (OSError, asyncio.IncompleteReadError, UnicodeError) as error:
            text = (str(error) or type(error).__name__).replace(url, shown_url(url))
            return Outcome(ok=False, answer=f"{type(error).__name__}: {text}"[:300])
        return _classify(answer.status, answer.headers, answer.body, hook.format)
