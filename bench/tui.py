"""The terminal UI on stores of 1,000 and 1,000,000 cases, headless (`run_test`), same run.

1. Builds two stores: the schema through shopdesk (a real, current store), then cases and orders
   bulk-inserted with stdlib sqlite3 `executemany`. As in a real shop's history most cases are
   closed: 1 % are active (new/open/waiting/escalated, some overdue, some urgent), a few were
   resolved today, the rest resolved/closed/void in the past two years.
2. For each store, a child process (so its peak RSS is its own, from os.wait4) runs
   `ShopdeskApp.for_store(...).run_test(size=(120, 40))` and measures:
   - first paint: from creating the app (the store opens inside it) to the queue's rows painted;
   - filter keystroke: `/` then one character at a time, key press to the table repainted
     (the filter runs in SQL: count + one page), median of the keystrokes;
   - page-down: key to the next page painted, median of 20;
   - keypress latency p99 while a task posts ~500 signed webhooks/s through the intake service
     (one in ten an exception report that opens a case, so the queue changes live), written as
     while `shopdesk` serves its API (group commit on the store's writer connection);
   - the longest event-loop stall seen during all of the above (a 5 ms ticker).
3. Baseline in the same run: the 1k store's figures (first paint at 1M must be within 1.5x).

Targets (issue 4): first paint ≤ 1.0 s at 1M and ≤ 1.5x the 1k figure; keystroke and page-down
≤ 50 ms; p99 ≤ 100 ms under intake load; no loop stall over 50 ms; peak RSS ≤ 200 MB.
Last line, one JSON object:
  {"bench": "tui", "first_paint_s_1k": …, "first_paint_s_1m": …, "keystroke_ms": …,
   "page_down_ms": …, "p99_under_load_ms": …, "max_stall_ms": …, "peak_rss_mb": …}

    python bench/tui.py [--large 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

KINDS = ("lost", "damaged", "delivery_delayed", "wrong_item", "complaint", "ship_delayed",
         "payment_timeout", "refund_issue", "out_of_stock", "urgent_order", "address_error")
CARRIERS = ("顺丰速运 SF", "YTO 圆通", "ZTO 中通", "JD Logistics", "EMS")
NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "James Brown", "Emma Wilson", "Yuki Tanaka",
         "黄晓明", "Olivia Smith")
OPERATORS = ("op1", "op2", "op3", None)
ACTIVE_SHARE = 0.01
SECRET = "whsec_bench_tui_0123456789abcdef"
OPERATOR = "op1"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds")


# --- building the stores ------------------------------------------------------------------------


def settle_due_times(path: Path) -> None:
    """Due times as a store in use has them: computed with the SLA policy the desk runs with
    (its fingerprint recorded), so the timed start does not include a one-off recompute after a
    config change. Cheap when already done."""
    from shopdesk.config import Settings
    from shopdesk.services import Services
    from shopdesk.store import open_store

    async def settle() -> None:
        async with open_store(path) as store:
            await Services(store, Settings(bell=False)).cases.ensure_due_times()

    asyncio.run(settle())


def build_store(path: Path, cases: int, now: datetime, seed: int = 4) -> None:
    from shopdesk.store import open_store

    async def create() -> None:
        async with open_store(path):
            pass

    asyncio.run(create())
    rng = random.Random(seed)
    orders_count = max(1, cases // 4)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")

    def orders():
        for number in range(1, orders_count + 1):
            name = NAMES[number % len(NAMES)]
            yield (number, "shop", str(100000 + number), f"SO-{100000 + number}", name,
                   f"c{number}@example.com", f"138{number:08d}", CARRIERS[number % len(CARRIERS)],
                   f"SF{number:010d}", _iso(now))

    conn.executemany(
        """INSERT INTO orders (id, source, external_id, number, customer_name, customer_email,
           customer_phone, carrier, tracking_number, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        orders(),
    )

    def rows():
        active_every = max(1, round(1 / ACTIVE_SHARE))
        for number in range(1, cases + 1):
            # the newest cases are the active ones, as in a shop's history; the rest spread back
            # over two years
            age = timedelta(minutes=(cases - number) * (2 * 365 * 24 * 60) / max(cases, 1))
            opened = now - age
            active = number % active_every == 0 or number > cases - 3
            level = rng.choice((1, 1, 1, 2, 2, 3))
            urgent = rng.random() < 0.08
            resolved = closed = None
            due = None
            if active:
                status = rng.choice(("new", "open", "open", "waiting", "escalated"))
                opened = now - timedelta(hours=rng.uniform(0, 72))
                due = None if status == "waiting" else now + timedelta(hours=rng.uniform(-24, 72))
            elif number % 997 == 0:
                status = "resolved"
                resolved = now - timedelta(minutes=rng.uniform(1, 300))
            else:
                status = rng.choice(("closed", "closed", "closed", "closed", "resolved", "void"))
                resolved = None if status == "void" else opened + timedelta(days=rng.uniform(0, 4))
                closed = resolved + timedelta(days=7) if status == "closed" else None
            order_id = (number - 1) % orders_count + 1
            name = NAMES[order_id % len(NAMES)]
            yield (
                number, f"C-{number:06d}", rng.choice(KINDS), level, int(urgent), status,
                "supervisor" if status == "escalated" else "operator", "bench case",
                OPERATORS[number % len(OPERATORS)], order_id, name, f"c{order_id}@example.com",
                f"138{order_id:08d}", "bench", "intake", _iso(opened),
                _iso(opened + timedelta(hours=4)), _iso(opened + timedelta(days=3)), _iso(due),
                _iso(resolved), _iso(closed), 1, _iso(resolved or opened), "intake",
            )

    conn.executemany(
        """INSERT INTO cases (id, ref, kind, level, urgent, status, tier, title, assignee,
           order_id, customer_name, customer_email, customer_phone, source, opened_by, opened_at,
           first_response_due_at, resolution_due_at, due_at, resolved_at, closed_at, version,
           updated_at, updated_by)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        rows(),
    )
    conn.execute("COMMIT")
    conn.close()


# --- the child: one store, one app ------------------------------------------------------------


class StallMeter:
    """The longest gap between 5 ms ticks of the event loop, and where it happened."""

    def __init__(self) -> None:
        self.max_stall = 0.0
        self.phase = "start"
        self.stalls: list[tuple[str, float]] = []
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            cpu_started = time.thread_time()
            await asyncio.sleep(0.005)
            stall = loop.time() - started - 0.005
            if stall > 0.03:
                # the loop thread's own CPU time in the stall: near the stall = this process was
                # busy; far below = it waited (for the GIL, or for a CPU another process held)
                cpu = time.thread_time() - cpu_started
                self.stalls.append((self.phase, round(stall * 1000, 1), round(cpu * 1000, 1)))
            self.max_stall = max(self.max_stall, stall)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        assert self._task is not None
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass


async def key_until(app, key: str, condition, timeout: float = 10.0) -> float:
    """Send one key as the terminal would (no Pilot idle waits: the load keeps the loop busy) and
    return the seconds until `condition()` holds (the key's effect is on screen)."""
    from textual import events

    char = key if len(key) == 1 else None
    begun = time.perf_counter()
    app._driver.send_message(events.Key(key, char))
    while not condition():
        if time.perf_counter() - begun > timeout:
            raise SystemExit(f"key {key!r} had no effect within {timeout} s")
        await asyncio.sleep(0.0005)
    return time.perf_counter() - begun


def webhook(number: int, now: datetime) -> tuple[dict[str, str], bytes]:
    from shopdesk.domain.intake.signatures import sign_generic

    event = {
        "id": f"evt_bench_{number}", "type": "paid", "occurred_at": _iso(now),
        "order": {"id": f"B{number}", "number": f"SO-B{number}",
                  "customer": {"name": NAMES[number % len(NAMES)], "phone": f"139{number:08d}"},
                  "total": "59.80", "paid": "59.80", "currency": "CNY", "status": "paid"},
    }
    if number % 10 == 0:
        event["report"] = {"kind": "damaged", "level": 1 + number % 3, "title": "arrived broken"}
    body = json.dumps(event, ensure_ascii=False).encode()
    headers = {"content-type": "application/json",
               "shopdesk-signature": sign_generic(SECRET, body, int(now.timestamp()))}
    return headers, body


async def post_webhooks(services, rate: float, stop: asyncio.Event, counter: list[int]) -> None:
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Task] = set()
    started = loop.time()
    number = 0
    while not stop.is_set():
        due = started + number / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        headers, body = webhook(number, services.now())
        task = asyncio.create_task(services.intake.receive("bench", headers, body))
        pending.add(task)
        task.add_done_callback(pending.discard)
        number += 1
        counter[0] = number
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)


async def measure(path: Path, load_seconds: float) -> dict:
    from shopdesk.config import Settings
    from shopdesk.tui.app import ShopdeskApp
    from shopdesk.tui.widgets.case_table import CaseTable

    meter = StallMeter()
    meter.start()
    started = time.perf_counter()
    app = ShopdeskApp.for_store(path, operator=OPERATOR, settings=Settings(bell=False), lang="en",
                                freeze_heap=True)  # as runtime.run builds it
    result: dict = {}
    async with app.run_test(size=(120, 40)) as pilot:
        while not getattr(app.screen, "first_paint_done", False):
            await asyncio.sleep(0.001)
        result["first_paint_s"] = time.perf_counter() - started
        screen = app.screen
        table = screen.query_one("#cases", CaseTable)
        result["active_cases"] = table.total
        await app.workers.wait_for_complete()  # the tab counts
        await asyncio.sleep(0.3)

        meter.phase = "filter"
        keystrokes = []
        await key_until(app, "slash", lambda: screen.query_one("#filter").has_focus)
        typed = ""
        for char in "SO-1234":
            typed += char
            await app.workers.wait_for_complete()
            loads = table.loads
            keystrokes.append(await key_until(
                app, char,
                lambda typed=typed, loads=loads: screen.query_text == typed and table.loads > loads))
        result["filter_matches"] = table.total
        loads = table.loads
        await key_until(app, "escape", lambda: table.loads > loads and not screen.query_text)

        meter.phase = "page_down"
        pages = []
        await pilot.pause()
        for _ in range(20):
            before = table.cursor
            if before >= table.total - 1:
                break
            pages.append(await key_until(
                app, "pagedown",
                lambda before=before: table.cursor > before and all(
                    table.row_at(index) is not None
                    for index in range(table.top, min(table.total, table.top + table.page)))))
        await key_until(app, "home", lambda: table.cursor == 0)
        await asyncio.sleep(0.3)

        meter.phase = "load"
        services = app.services
        await services.sources.add("bench", "generic", SECRET)
        stop = asyncio.Event()
        posted = [0]
        load = asyncio.create_task(post_webhooks(services, 500.0, stop, posted))
        latencies = []
        load_started = time.perf_counter()
        going_down = True
        while time.perf_counter() - load_started < load_seconds:
            if table.cursor >= min(30, table.total - 1):
                going_down = False
            elif table.cursor == 0:
                going_down = True
            before = table.current.id if table.current is not None else None
            key = "down" if going_down else "up"
            # the highlighted case changes (its index may not: new cases arrive above it)
            latencies.append(await key_until(
                app, key,
                lambda before=before: table.current is not None and table.current.id != before))
            await asyncio.sleep(0.02)
        stop.set()
        await load
        elapsed = time.perf_counter() - load_started
        meter.phase = "end"
        await pilot.pause(0.5)
        result["webhooks_per_s"] = posted[0] / elapsed
        result["cases_after_load"] = table.total
        result["keystroke_ms"] = statistics.median(keystrokes) * 1000
        result["keystroke_max_ms"] = max(keystrokes) * 1000
        result["page_down_ms"] = statistics.median(pages) * 1000
        result["page_down_max_ms"] = max(pages) * 1000
        latencies.sort()
        result["keypresses_under_load"] = len(latencies)
        result["p99_under_load_ms"] = latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000
    await meter.stop()
    result["max_stall_ms"] = max((ms for phase, ms, _ in meter.stalls if phase != "start"),
                                 default=0.0)
    result["startup_stall_ms"] = max((ms for phase, ms, _ in meter.stalls if phase == "start"),
                                     default=0.0)
    result["stalls"] = meter.stalls[:20]
    return result


def child(path: Path, load_seconds: float) -> None:
    import logging

    logging.disable(logging.CRITICAL)
    figures = asyncio.run(measure(path, load_seconds))
    sys.stdout.write("RESULT " + json.dumps(figures) + "\n")
    sys.stdout.flush()


def run_child(path: Path, load_seconds: float) -> dict:
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", str(path), "--load-seconds", str(load_seconds)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    out = process.stdout.read().decode()
    err = process.stderr.read().decode()
    if status != 0:
        raise SystemExit(f"child failed on {path}:\n{out}\n{err}")
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    figures = json.loads(line[len("RESULT "):])
    figures["peak_rss_mb"] = usage.ru_maxrss / 1024
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--load-seconds", type=float, default=10.0)
    parser.add_argument("--keep", help="build the stores in (and keep) this directory")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child), args.load_seconds)
        return
    directory = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-tui-"))
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC).replace(microsecond=0)
    figures: dict[str, dict] = {}
    for label, count in (("1k", args.small), ("1m", args.large)):
        path = directory / f"tui-{count}.db"
        if not path.exists():
            begun = time.perf_counter()
            build_store(path, count, now)
            print(f"built {path} ({count:,} cases) in {time.perf_counter() - begun:.1f} s",
                  flush=True)
        settle_due_times(path)
        work = directory / f"run-{count}.db"  # the load writes: every run starts from the same store
        shutil.copyfile(path, work)
        try:
            figures[label] = run_child(work, args.load_seconds)
        finally:
            for leftover in directory.glob(f"run-{count}.db*"):
                leftover.unlink()
        print(f"{label}: " + ", ".join(f"{key} {value:.1f}" if isinstance(value, float)
                                        else f"{key} {value}"
                                        for key, value in figures[label].items()), flush=True)
    if not args.keep:
        for path in directory.iterdir():
            path.unlink()
        directory.rmdir()
    small, large = figures["1k"], figures["1m"]
    summary = {
        "bench": "tui",
        "first_paint_s_1k": round(small["first_paint_s"], 3),
        "first_paint_s_1m": round(large["first_paint_s"], 3),
        "keystroke_ms": round(large["keystroke_ms"], 1),
        "page_down_ms": round(large["page_down_ms"], 1),
        "p99_under_load_ms": round(large["p99_under_load_ms"], 1),
        "max_stall_ms": round(max(small["max_stall_ms"], large["max_stall_ms"]), 1),
        "peak_rss_mb": round(max(small["peak_rss_mb"], large["peak_rss_mb"]), 1),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
