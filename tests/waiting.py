"""Waiting in tests: on a condition, never for a fixed time, within budgets that stretch on a slow
machine. `SHOPDESK_TEST_TIMEOUT_SCALE=3` makes every budget three times longer (a busy CI runner);
a budget is only how long to wait before calling it a failure, so a generous one costs nothing
when things work."""

from __future__ import annotations

import asyncio
import inspect
import os
import time
from collections.abc import Awaitable, Callable

SCALE = float(os.environ.get("SHOPDESK_TEST_TIMEOUT_SCALE") or 1)
POLL = 0.02


def scaled(seconds: float) -> float:
    """A time budget, stretched by SHOPDESK_TEST_TIMEOUT_SCALE."""
    return seconds * SCALE


def wait_until(condition: Callable[[], object], timeout: float = 20.0, what: str = "") -> object:
    """Poll `condition` until it returns something true (returned) or the scaled budget runs out."""
    deadline = time.monotonic() + scaled(timeout)
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {scaled(timeout):g} s in vain for {what or condition}")
        time.sleep(POLL)
    return value


async def eventually(condition: Callable[[], object | Awaitable[object]], timeout: float = 20.0,
                     what: str = "") -> object:
    """`wait_until` in a test's event loop; `condition` may be a coroutine function."""
    deadline = time.monotonic() + scaled(timeout)
    while True:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {scaled(timeout):g} s in vain for {what or condition}")
        await asyncio.sleep(POLL)
