"""The outbox sender: one task in the process that serves a store's API (started beside the sweep).

At start, messages a killed sender left mid-send are due again (same ids: at-least-once). Then it
claims due messages in batches, `concurrency` workers deliver them (each on one pooled
connection) with the transports' timeouts, and the outcomes are recorded in batches (one
transaction for what finished within `record_every`). It wakes when anything changes in this process (a case event may have queued
messages), when a retry falls due, and every `poll_seconds` for messages written by another
process (the CLI). Every `breach_soon_seconds` it queues sla.breach_soon for cases due soon.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING

import msgspec

from shopdesk.domain.outbound import Hook, OutboundEvent, Outcome, OutboxMessage

if TYPE_CHECKING:
    from shopdesk.services import Services

log = logging.getLogger(__name__)

# What services publish after writes that may queue messages (case events, incidents, retries).
_MAY_QUEUE = frozenset({"case_opened", "case_changed", "incident", "outbox", "hook"})


class OutboxSender:
    def __init__(self, services: Services, *, concurrency: int = 8, poll_seconds: float = 5.0,
                 breach_soon_seconds: float = 60.0, connect_seconds: float | None = None,
                 total_seconds: float | None = None, claim_batch: int = 64,
                 record_every: float = 0.05) -> None:
        self._services = services
        self._concurrency = concurrency
        self._poll_seconds = poll_seconds
        self._breach_soon_seconds = breach_soon_seconds
        self._claim_batch = max(claim_batch, concurrency)
        self._record_every = record_every
        self._min_loop_seconds = min(record_every, 0.02)
        self._wake = asyncio.Event()
        self._claimed: asyncio.Queue[OutboxMessage] = asyncio.Queue()
        self._finished: list[tuple[OutboxMessage, Outcome]] = []
        self._finished_ready = asyncio.Event()
        self._busy = 0  # deliveries in progress
        self._hooks: dict[int, Hook] = {}
        self._poster = None
        self._timeouts = {name: value for name, value in (
            ("connect_seconds", connect_seconds), ("total_seconds", total_seconds))
            if value is not None}

    def wake(self, *_args) -> None:
        self._wake.set()

    def _on_change(self, change) -> None:
        """A change that may have queued messages (not intake's order changes: thousands a
        second, none of which queues anything by itself)."""
        if change.what in _MAY_QUEUE:
            self._wake.set()

    async def run(self) -> None:
        from shopdesk.sending.http_post import HttpPoster

        outbound = self._services.outbound
        await outbound.release_sending()
        unsubscribe = self._services.changes.subscribe(self._on_change)
        tasks: list[asyncio.Task] = []
        next_breach_check = 0.0
        try:
            async with HttpPoster(self._services.settings, max_connections=self._concurrency,
                                  **self._timeouts) as poster:
                self._poster = poster
                tasks.append(asyncio.create_task(self._record_forever(), name="outbox-recorder"))
                tasks += [asyncio.create_task(self._deliver_forever(), name=f"outbox-{number}")
                          for number in range(self._concurrency)]
                try:
                    while True:
                        await asyncio.sleep(self._min_loop_seconds)  # a burst wakes it once
                        self._wake.clear()
                        if time.monotonic() >= next_breach_check:
                            next_breach_check = time.monotonic() + self._breach_soon_seconds
                            await self._guarded(outbound.breach_soon())
                        if self._claimed.qsize() < self._concurrency:  # running low: take more
                            await self._claim(self._claim_batch - self._claimed.qsize())
                        await self._wait()
                finally:  # the workers stop before their client closes
                    for task in tasks:
                        task.cancel()
                    with contextlib.suppress(BaseException):
                        await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            unsubscribe()
            with contextlib.suppress(Exception):  # what was delivered is not sent again
                await outbound.record(self._take_finished())
            # Claimed and not started: left 'sending', due again when a sender starts (same ids).

    async def _guarded(self, work: Awaitable) -> None:
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("outbox: breach-soon check failed")

    async def _claim(self, count: int) -> list[OutboxMessage]:
        if count <= 0:
            return []
        try:
            claimed = await self._services.outbound.claim(count)
            if claimed:
                self._hooks = {hook.id: hook for hook in await self._services.outbound.hooks()}
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("outbox: claiming due messages failed")
            return []
        for message in claimed:
            self._claimed.put_nowait(message)
        return claimed

    async def _wait(self) -> None:
        timeout = self._poll_seconds
        with contextlib.suppress(Exception):
            due = await self._services.outbound.next_try()
            if due is not None:
                timeout = min(timeout, max(0.0, due - time.time()))
        if timeout <= 0:
            timeout = self._poll_seconds  # due, but enough claimed: a delivery's end wakes us
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._wake.wait()

    async def _deliver_forever(self) -> None:
        while True:
            message = await self._claimed.get()
            self._busy += 1
            try:
                outcome = await self._send(message)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # a transport's bug must not stop the sender
                log.exception("outbox #%d: sending failed", message.id)
                outcome = Outcome(ok=False, answer=f"{type(error).__name__}: {error}"[:300])
            finally:
                self._busy -= 1
            self._finished.append((message, outcome))
            self._finished_ready.set()
            if self._claimed.qsize() < self._concurrency:
                self._wake.set()

    async def _send(self, message: OutboxMessage) -> Outcome:
        if message.channel == "email":
            from shopdesk.sending.smtp_mail import send_email

            smtp = self._services.settings.smtp
            if smtp is None:
                return Outcome(ok=False, answer="no [smtp] in the config: email is not sent")
            return await send_email(smtp, message.payload)
        hook = self._hooks.get(message.hook_id or 0)
        if hook is None:
            return Outcome(ok=False, permanent=True, answer="the hook was removed")
        event = msgspec.convert(message.payload, OutboundEvent)
        assert self._poster is not None
        return await self._poster.deliver(hook, event, lang=self._services.outbound.chat_lang())

    def _take_finished(self) -> list[tuple[OutboxMessage, Outcome]]:
        finished, self._finished = self._finished, []
        self._finished_ready.clear()
        return finished

    async def _record_forever(self) -> None:
        """Outcomes in batches: what finished within `record_every` of the first, in one
        transaction (a transaction per message would take the store's writer from intake)."""
        while True:
            await self._finished_ready.wait()
            if self._busy or not self._claimed.empty():
                await asyncio.sleep(self._record_every)
            finished = self._take_finished()
            try:
                await self._services.outbound.record(finished)
            except asyncio.CancelledError:
                self._finished = finished + self._finished  # recorded by run()'s finally
                raise
            except Exception:
                log.exception("outbox: recording %d outcomes failed; they are sent again",
                              len(finished))
            self._wake.set()  # retries may be due


async def send_forever(services: Services) -> None:
    """The serving process's sender; restarts after an unexpected error."""
    while True:
        try:
            await OutboxSender(services).run()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("outbox sender stopped; starting again in 5 s")
            await asyncio.sleep(5)
