"""Detection sweep: shopdesk's `DetectionService.sweep()` against SQLite counting the same orders.

The issue's shape (issue 10): a store of ORDERS orders placed over the last 60 days, every tenth of
them anomalous, each anomalous order with its live detected case already open (ORDERS / 10 cases).
The normal orders are paid, shipped and delivered with no check pending (`check_at` NULL: checked
before, nothing time could change). The anomalous ones are a mix of three rules that hold for good:
unpaid past the payment timeout, paid ≠ total, not shipped by the ship-by time.

What is measured, all in one run:

  (1) idle: `sweep()` with no order due (median of IDLE_RUNS) — what the periodic sweep costs
      almost always;
  (2) full sweep: every anomalous order due at once (`check_at` = now, as after a restart with
      changed rules or a store migrated to detection): the sweep reads each one, evaluates the
      rules, finds its case already open (nothing opens: asserted) and moves its check time on.
      Baselines on the same candidate rows with stdlib sqlite3: `SELECT count(*) FROM orders WHERE
      check_at <= :now` (the issue's baseline, `baseline_s`) and `SELECT *` of those rows
      (`read_baseline_s`). If the sweep would take longer than --budget seconds on this machine
      (estimated from the smaller sweeps), fewer are made due and the JSON says how many
      (`due_orders`, `due_all_anomalous`);
  (3) growth: the same sweep of GROWTH_DUE due orders in a store a tenth the size, and of
      GROWTH_DUE due orders in the big store: per-order cost at each (linear in orders = equal);
  (4) intake cost: in-process (no HTTP), signed generic `created` events through
      `services.intake.receive()` in concurrent chunks of 50, with per-event detection on (the
      default: every processed delivery queues its order; intake's rate runs to the last answer,
      and the time detection then takes to catch up is `detection_lag_s`; the CPU figures include
      it) and off (`order_changed` / `stock_changed` replaced by no-ops), alternated, medians.

The stores are built with stdlib sqlite3 (schema.sql, the current user_version, WAL) from a fixed
seed and cached under the temp directory (`shopdesk-bench-sweep-*.db`), so a rerun skips the build;
each run first puts back what a run changes (check times) and checks the cached store is whole.
Order events are written for the anomalous orders only: the sweep reads the events of due orders
only, by index.

Prints progress to stderr, then one JSON object as the last line of stdout:
  {"bench": "sweep", "sweep_s": …, "baseline_s": …, "idle_sweep_ms": …, "intake_cost_pct": …, …}

    python bench/sweep.py [--orders 1000000] [--budget 90] [--events 3000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECRET = "whsec_bench_sweep_secret_0123456789"
SEED = 20261208
BUILD_VERSION = 2  # bump when the generated rows change: cached stores are then built again
ANOMALOUS_EVERY = 10  # every tenth order is anomalous (10 %)
DAYS = 60
GROWTH_DUE = 10_000
IDLE_RUNS = 15
ESTIMATE_SLACK = 1.5  # the full sweep's estimated time: per-order cost of the growth sweeps × this
CHUNK = 50  # concurrent deliveries in the intake part
ANOMALIES = ("payment_timeout", "payment_mismatch", "ship_delayed")
LEVELS = {"payment_timeout": 1, "payment_mismatch": 2, "ship_delayed": 2}
TITLES = {"payment_timeout": "Unpaid past the payment timeout",
          "payment_mismatch": "Paid amount differs from the total",
          "ship_delayed": "Not shipped by the ship-by time"}
NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "James Brown", "Emma Wilson", "Yuki Tanaka")
ADDRESSES = ("上海市浦东新区张江路 88 号", "浙江省杭州市西湖区文三路 90 号",
             "北京市海淀区中关村大街 27 号", "广东省深圳市南山区科技园 12 栋")
CARRIERS = ("SF", "ZTO", "YTO", "JD", "EMS")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def _machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine so far, from /proc/stat."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


# --- the store ----------------------------------------------------------------------------------


def _order_rows(orders: int, end: datetime, rng: random.Random, anomalies: dict[int, str]):
    """Orders 1..orders, placed evenly over the DAYS before `end` (ids follow time). Fills
    `anomalies` (order id -> rule) for the anomalous ones. Buyers: about three orders each over
    the period (a phone and an email per buyer); the SKU follows the id, so no two orders placed
    minutes apart have the same items (no duplicate_order by accident)."""
    start = end - timedelta(days=DAYS)
    step = DAYS * 86400 / orders
    buyers = max(1, orders // 3)
    for i in range(1, orders + 1):
        placed = start + timedelta(seconds=int(i * step))
        age = end - placed
        buyer = rng.randrange(buyers)
        quantity = 1 + i % 3
        price = 990 + rng.randrange(200) * 100
        total = quantity * price
        items = (f'[{{"name":"Item {i % 1000:03d}","quantity":{quantity},'
                 f'"sku":"SKU-{i % 1000:03d}","price_minor":{price}}}]')
        kind = None
        if i % ANOMALOUS_EVERY == 0:
            kind = ANOMALIES[rng.randrange(3)]
            if kind == "payment_timeout" and age < timedelta(hours=1):
                kind = "payment_mismatch"
            if kind == "ship_delayed" and age < timedelta(days=2):
                kind = "payment_mismatch"
            anomalies[i] = kind
        paid_minor, paid_at = total, _iso(placed + timedelta(minutes=2))
        shipped = _iso(placed + min(timedelta(hours=20), age / 3))
        delivered = _iso(placed + min(timedelta(days=3), age * 2 / 3))
        status, tracking, ship_by = "delivered", f"{CARRIERS[i % 5]}{i:012d}", None
        if kind == "payment_timeout":
            paid_minor, paid_at, shipped, delivered = 0, None, None, None
            status, tracking = "pending", ""
        elif kind == "payment_mismatch":
            paid_minor = total - 500
        elif kind == "ship_delayed":
            shipped, delivered, status, tracking = None, None, "paid", ""
            ship_by = _iso(placed + timedelta(days=1))
        at = _iso(placed)
        yield (i, "shop", f"{i:08d}", f"SO-{i:08d}", NAMES[buyer % 8], f"buyer{buyer}@example.cn",
               f"139{buyer:08d}", ADDRESSES[buyer % 4], items, total, paid_minor, "CNY", status,
               CARRIERS[i % 5] if tracking else "", tracking, at, paid_at, shipped, delivered,
               shipped, ship_by, None, "[]", 0, delivered or shipped or paid_at or at, at, "", None)


def _evidence(kind: str, row: tuple, end: datetime) -> str:
    total, paid = row[9], row[10]
    if kind == "payment_timeout":
        return f"unpaid {(end - datetime.fromisoformat(row[15])).days}d > 30m"
    if kind == "payment_mismatch":
        return (f"paid ¥{paid / 100:.2f} ≠ total ¥{total / 100:.2f} "
                f"(short ¥{(total - paid) / 100:.2f})")
    return f"not shipped after ship-by {row[20][:16].replace('T', ' ')} UTC"


def build_store(db: Path, orders: int, marker: str) -> None:
    """The store, written with stdlib sqlite3: tables, rows in big transactions, then the indexes
    (faster than keeping them up to date row by row), user_version, WAL."""
    from shopdesk.store.migrations import SCHEMA_VERSION, split_statements

    building = db.with_name(db.name + ".building")
    for path in (building, Path(f"{building}-wal"), Path(f"{building}-shm")):
        path.unlink(missing_ok=True)
    started = time.perf_counter()
    statements = split_statements((ROOT / "schema.sql").read_text(encoding="utf-8"))
    indexes = [statement for statement in statements
               if statement.upper().startswith(("CREATE INDEX", "CREATE UNIQUE INDEX"))]
    tables = [s for s in statements if s not in indexes]
    conn = sqlite3.connect(building, isolation_level=None)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -400000")
    conn.executescript(";\n".join(tables) + ";")
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    rng = random.Random(SEED)
    anomalies: dict[int, str] = {}
    kept: dict[int, tuple] = {}

    def rows():
        for row in _order_rows(orders, end, rng, anomalies):
            if row[0] in anomalies:
                kept[row[0]] = row
            yield row

    conn.execute("BEGIN")
    conn.executemany(f"INSERT INTO orders VALUES ({', '.join('?' * 28)})", rows())
    log(f"  {orders:,} orders written in {time.perf_counter() - started:.1f} s")

    def case_rows():
        for case_id, (order_id, kind) in enumerate(sorted(anomalies.items()), start=1):
            row = kept[order_id]
            placed = datetime.fromisoformat(row[15])
            opened = placed + {"payment_timeout": timedelta(minutes=31),
                               "payment_mismatch": timedelta(minutes=3),
                               "ship_delayed": timedelta(days=1, seconds=1)}[kind]
            evidence = _evidence(kind, row, end)
            yield (case_id, f"C-{case_id:06d}", kind, LEVELS[kind], "new",
                   f"{TITLES[kind]}: #{row[3]}", evidence, order_id, row[4], row[5], row[6],
                   "detection", "detection", _iso(opened), _iso(opened + timedelta(hours=4)),
                   _iso(opened + timedelta(days=3)), _iso(opened + timedelta(hours=4)),
                   _iso(opened), "detection", kind, f"order:{order_id}", evidence)

    conn.executemany(
        """INSERT INTO cases (id, ref, kind, level, status, title, description, order_id,
               customer_name, customer_email, customer_phone, source, opened_by, opened_at,
               first_response_due_at, resolution_due_at, due_at, updated_at, updated_by, rule,
               rule_subject, rule_evidence)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        case_rows(),
    )
    conn.execute(
        """INSERT INTO case_events (case_id, at, actor, type, data)
           SELECT id, opened_at, 'detection', 'opened',
                  json_object('kind', kind, 'level', level, 'urgent', json('false'),
                              'source', 'detection', 'rule', rule, 'evidence', rule_evidence,
                              'related', json('[]'))
           FROM cases ORDER BY id""")
    # The anomalous orders' own events (created, then paid and shipped where they were).
    conn.execute(
        """INSERT INTO order_events (order_id, type, at, data)
           SELECT id, 'created', placed_at, '{}' FROM orders WHERE id % :every = 0
           UNION ALL SELECT id, 'paid', paid_at, '{}' FROM orders
                     WHERE id % :every = 0 AND paid_at IS NOT NULL
           UNION ALL SELECT id, 'shipped', shipped_at, '{}' FROM orders
                     WHERE id % :every = 0 AND shipped_at IS NOT NULL
           ORDER BY 1, 3""", {"every": ANOMALOUS_EVERY})
    conn.execute(
        """INSERT INTO sources (name, kind, secret, created_at)
           VALUES ('shop', 'generic', :secret, :at)""",
        {"secret": SECRET, "at": _iso(end - timedelta(days=DAYS + 1))})
    conn.execute("COMMIT")
    log(f"  {len(anomalies):,} cases written in {time.perf_counter() - started:.1f} s")
    conn.execute("BEGIN")
    for statement in indexes:
        conn.execute(statement)
    conn.execute("INSERT INTO store_meta (key, value) VALUES ('bench_sweep', ?)", (marker,))
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    conn.execute("COMMIT")  # no ANALYZE: shopdesk does not run it, its stores have no statistics
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    building.rename(db)
    log(f"  built {db} in {time.perf_counter() - started:.1f} s "
        f"({db.stat().st_size / 2**20:.0f} MB)")


def _cached_store(orders: int, cache: Path) -> tuple[Path, int]:
    """The store for `orders` (built now unless a whole one is cached); (path, cases)."""
    from shopdesk.store.migrations import SCHEMA_VERSION

    marker = json.dumps({"orders": orders, "seed": SEED, "build": BUILD_VERSION,
                         "schema": SCHEMA_VERSION, "every": ANOMALOUS_EVERY})
    db = cache / f"shopdesk-bench-sweep-{orders}-v{BUILD_VERSION}-s{SCHEMA_VERSION}.db"
    cases = orders // ANOMALOUS_EVERY
    if db.exists():
        conn = sqlite3.connect(db, isolation_level=None)
        try:
            found = conn.execute(
                "SELECT value FROM store_meta WHERE key = 'bench_sweep'").fetchone()
            whole = found is not None and found[0] == marker and conn.execute(
                "SELECT count(*) FROM cases").fetchone()[0] == cases
            if whole:  # put back what a run (or an interrupted one) changed
                conn.execute("UPDATE orders SET check_at = NULL WHERE check_at IS NOT NULL")
                whole = conn.execute(
                    """SELECT count(*) FROM cases WHERE status = 'new' AND cleared_at IS NULL
                       AND rule IS NOT NULL""").fetchone()[0] == cases
        except sqlite3.Error:
            whole = False
        finally:
            conn.close()
        if whole:
            log(f"reusing {db} ({db.stat().st_size / 2**20:.0f} MB)")
            return db, cases
        log(f"{db} is from another build or was changed: building it again")
        for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            path.unlink(missing_ok=True)
    log(f"building a store of {orders:,} orders ({cases:,} anomalous, each with its case)")
    build_store(db, orders, marker)
    return db, cases


def _mark_due(db: Path, count: int, now: str) -> int:
    """The first `count` anomalous orders (by case) due now; returns how many are due."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute(
            """UPDATE orders SET check_at = :now WHERE id IN (
                   SELECT order_id FROM cases WHERE rule IS NOT NULL ORDER BY id LIMIT :count)""",
            {"now": now, "count": count})
        return conn.execute("SELECT count(*) FROM orders WHERE check_at <= :now",
                            {"now": now}).fetchone()[0]
    finally:
        conn.close()


def _baselines(db: Path, now: str) -> dict:
    """stdlib sqlite3 on the same candidate rows: count them (median of 5), read them whole
    (median of 3); wall and CPU seconds."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        plan = " / ".join(row[3] for row in conn.execute(
            "EXPLAIN QUERY PLAN SELECT count(*) FROM orders WHERE check_at <= :now", {"now": now}))
        counts, reads, count_cpu, read_cpu = [], [], [], []
        for _ in range(5):
            started, cpu_started = time.perf_counter(), time.process_time()
            counted = conn.execute("SELECT count(*) FROM orders WHERE check_at <= :now",
                                   {"now": now}).fetchone()[0]
            counts.append(time.perf_counter() - started)
            count_cpu.append(time.process_time() - cpu_started)
        for _ in range(3):
            started, cpu_started = time.perf_counter(), time.process_time()
            rows = conn.execute("SELECT * FROM orders WHERE check_at <= :now",
                                {"now": now}).fetchall()
            reads.append(time.perf_counter() - started)
            read_cpu.append(time.process_time() - cpu_started)
        assert len(rows) == counted
    finally:
        conn.close()
    return {"count_s": statistics.median(counts), "read_s": statistics.median(reads),
            "count_cpu_s": statistics.median(count_cpu), "read_cpu_s": statistics.median(read_cpu),
            "rows": counted, "plan": plan}


def _count_cases(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT count(*) FROM cases").fetchone()[0]
    finally:
        conn.close()


async def _sweep(db: Path, due: int, *, idle: bool = False) -> dict:
    """Open the store with shopdesk; optionally time idle sweeps; make `due` anomalous orders due,
    time the baselines and one full sweep of them."""
    from shopdesk.services import Services
    from shopdesk.store import open_store
    from shopdesk.store.codec import to_db

    result: dict = {}
    cases_before = _count_cases(db)
    async with open_store(db) as store:
        services = Services(store)
        await services.detection.sweep()  # first statements, page cache
        if idle:
            times = []
            for _ in range(IDLE_RUNS):
                started = time.perf_counter()
                report = await services.detection.sweep()
                times.append(time.perf_counter() - started)
                assert report.checked == 0, report.checked
            result["idle_ms"] = _median_ms(times)
            log(f"  idle sweep (nothing due): median {result['idle_ms']:.2f} ms of {IDLE_RUNS}")
        now = to_db(services.now())
        due_now = _mark_due(db, due, now)
        assert due_now == due, (due_now, due)
        baseline = _baselines(db, now)
        log(f"  baselines on {baseline['rows']:,} due rows: count {baseline['count_s'] * 1000:.1f} ms"
            f" ({baseline['plan']}), read {baseline['read_s'] * 1000:.0f} ms "
            f"(CPU {baseline['read_cpu_s'] * 1000:.0f} ms)")
        busy_before = _machine_busy()
        started, cpu_started = time.perf_counter(), time.process_time()
        report = await services.detection.sweep()
        # process_time: this process's CPU, aiosqlite's threads included
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        busy_after = _machine_busy()
        # Each due order's rule still holds and its case is open: nothing opens, clears or fails.
        if (report.checked != due or report.opened or report.cleared or report.closed
                or report.failed):
            raise SystemExit(f"the sweep checked {report.checked} of {due} orders, opened "
                             f"{len(report.opened)} cases, cleared "
                             f"{len(report.cleared) + len(report.closed)}, failed on "
                             f"{report.failed[:3]}")
        async with store.reader.execute(
                "SELECT count(*) FROM orders WHERE check_at IS NOT NULL") as cursor:
            still_due = (await cursor.fetchone())[0]
    cases_after = _count_cases(db)
    if cases_after != cases_before:
        raise SystemExit(f"the sweep changed the number of cases: {cases_before} -> {cases_after}")
    busy = (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1])
    log(f"  sweep of {due:,} due orders: {elapsed:.2f} s, CPU {cpu:.2f} s "
        f"({elapsed / due * 1e6:.0f} µs an order, {due / elapsed:,.0f} orders/s; machine "
        f"{busy:.0%} busy), {still_due} left with a check time")
    result.update(sweep_s=elapsed, cpu_s=cpu, busy=busy, due=due, count_s=baseline["count_s"],
                  read_s=baseline["read_s"], count_cpu_s=baseline["count_cpu_s"],
                  read_cpu_s=baseline["read_cpu_s"], plan=baseline["plan"], still_due=still_due)
    return result


# --- intake with and without per-event detection -------------------------------------------------


def _created(n: int, at: datetime) -> bytes:
    """A generic `created` event of a paid order of a buyer of its own (nothing to find)."""
    placed = (at - timedelta(minutes=2)).isoformat(timespec="seconds")
    return json.dumps({
        "id": f"evt_sweep_{n}", "type": "created", "occurred_at": at.isoformat(timespec="seconds"),
        "order": {
            "id": f"w{n}", "number": f"W-{n}",
            "customer": {"name": "王芳", "email": f"w{n}@example.cn", "phone": f"137{n:08d}"},
            "address": "浙江省杭州市西湖区文三路 90 号",
            "items": [{"name": "Tea set", "quantity": 2, "sku": f"TEA-{n % 1000}",
                       "price": "29.90"}],
            "total": "59.80", "paid": "59.80", "currency": "CNY", "status": "paid",
            "placed_at": placed, "paid_at": at.isoformat(timespec="seconds"),
        },
    }, ensure_ascii=False).encode()


async def _intake(workdir: Path, events: int, rounds: int) -> dict:
    from shopdesk.domain.intake.signatures import sign_generic
    from shopdesk.services import Services
    from shopdesk.store import open_store

    numbers = itertools.count(1)  # every event a new delivery and a new order

    async with open_store(workdir / "intake.db") as store:
        services = Services(store)
        await services.sources.add("shop", "generic", SECRET)
        detection = services.detection

        lags: list[float] = []

        async def run(count: int, on: bool) -> tuple[float, float]:
            """(events answered per wall second, events per CPU second of this process with the
            detection that follows them). Intake's rate is until the last answer: detection runs
            off the request path, beside it (at most a tenth of the loop), and catches up after;
            how long that takes is recorded apart (`lags`)."""
            at = datetime.now(UTC)
            stamp = int(at.timestamp())
            requests = []
            for _ in range(count):
                body = _created(next(numbers), at)
                requests.append(({"content-type": "application/json",
                                  "shopdesk-signature": sign_generic(SECRET, body, stamp)}, body))
            if not on:
                detection.order_changed = lambda order_id: None
                detection.stock_changed = lambda skus: None
            try:
                started, cpu_started = time.perf_counter(), time.process_time()
                for first in range(0, count, CHUNK):
                    receipts = await asyncio.gather(*(
                        services.intake.receive("shop", headers, body)
                        for headers, body in requests[first:first + CHUNK]))
                    bad = [r for r in receipts if r.status != "processed"]
                    if bad:
                        raise SystemExit(f"intake answered {bad[0]}")
                elapsed = time.perf_counter() - started
                await detection.settle()
                if on:
                    lags.append(time.perf_counter() - started - elapsed)
                cpu = time.process_time() - cpu_started
            finally:
                if not on:
                    del detection.order_changed, detection.stock_changed
            return count / elapsed, count / cpu

        await run(min(300, events), True)  # first statements, the worker task, the page cache
        await run(min(300, events), False)
        on_rates, off_rates, on_cpu, off_cpu = [], [], [], []
        for index in range(rounds):
            for on in ((True, False) if index % 2 == 0 else (False, True)):
                rate, cpu_rate = await run(events, on)
                (on_rates if on else off_rates).append(rate)
                (on_cpu if on else off_cpu).append(cpu_rate)
                log(f"  intake round {index + 1}: detection {'on ' if on else 'off'} "
                    f"{rate:,.0f} events/s ({1e6 / cpu_rate:,.0f} µs CPU an event)")
        # Detection did its work: the orders of the "on" runs were checked (check time cleared),
        # those of the "off" runs are still due.
        async with store.reader.execute(
                "SELECT count(*), count(check_at) FROM orders") as cursor:
            total, unchecked = await cursor.fetchone()
        await detection.aclose()
    checked = total - unchecked
    expected = min(300, events) + rounds * events
    if checked != expected:
        raise SystemExit(f"detection checked {checked} orders after intake, expected {expected}")
    on, off = statistics.median(on_rates), statistics.median(off_rates)
    on_c, off_c = statistics.median(on_cpu), statistics.median(off_cpu)
    return {"on": on, "off": off, "cost_pct": (off - on) / off * 100, "checked": checked,
            "detection_lag_s": statistics.median(lags) if lags else 0.0,
            "on_cpu_us": 1e6 / on_c, "off_cpu_us": 1e6 / off_c,
            "cpu_cost_pct": (off_c - on_c) / off_c * 100}


# --- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--budget", type=float, default=90.0,
                        help="seconds the full sweep may take; fewer orders are made due if more")
    parser.add_argument("--events", type=int, default=3000, help="per intake run (default 3000)")
    parser.add_argument("--rounds", type=int, default=3, help="intake on/off rounds (default 3)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()),
                        help="where the built stores are kept (default: the temp directory)")
    args = parser.parse_args()
    if args.orders < 10 * ANOMALOUS_EVERY:
        parser.error("--orders is too small")
    started = time.perf_counter()
    import uvloop

    small_orders = max(args.orders // 10, ANOMALOUS_EVERY * 100)
    growth_due = min(GROWTH_DUE, small_orders // ANOMALOUS_EVERY)
    small_db, _ = _cached_store(small_orders, args.cache)
    big_db, anomalous = _cached_store(args.orders, args.cache)

    log(f"growth: {growth_due:,} due among {small_orders:,} orders")
    small = uvloop.run(_sweep(small_db, growth_due))
    log(f"growth: {growth_due:,} due among {args.orders:,} orders, and idle sweeps")
    big_sample = uvloop.run(_sweep(big_db, growth_due, idle=True))
    # The per-order cost grows somewhat with the number due (DetectionService.sweep reads the
    # orders already seen again with each batch): allow for it in the estimate.
    per_order = max(small["sweep_s"], big_sample["sweep_s"]) / growth_due * ESTIMATE_SLACK
    due = anomalous
    if per_order * anomalous > args.budget:
        due = max(growth_due, int(args.budget / per_order) // 1000 * 1000)
    fewer = "" if due == anomalous else f", not all {anomalous:,} anomalous: over --budget"
    log(f"full sweep: {due:,} due among {args.orders:,} orders "
        f"(estimated {per_order * due:.0f} s{fewer})")
    full = uvloop.run(_sweep(big_db, due))

    log(f"intake: {args.events:,} generic events a run, {args.rounds} rounds of detection on/off")
    with tempfile.TemporaryDirectory(prefix="shopdesk-bench-sweep-") as tmp:
        intake = uvloop.run(_intake(Path(tmp), args.events, args.rounds))
    log(f"intake: on {intake['on']:,.0f}/s, off {intake['off']:,.0f}/s, "
        f"cost {intake['cost_pct']:.1f} % (CPU an event: on {intake['on_cpu_us']:,.0f} µs, "
        f"off {intake['off_cpu_us']:,.0f} µs, cost {intake['cpu_cost_pct']:.1f} %)")

    small_us = small["sweep_s"] / growth_due * 1e6
    big_us = big_sample["sweep_s"] / growth_due * 1e6
    full_us = full["sweep_s"] / due * 1e6
    total_s = time.perf_counter() - started
    log(f"total {total_s:.0f} s")
    print(json.dumps({
        "bench": "sweep",
        "sweep_s": round(full["sweep_s"], 2),
        "baseline_s": round(full["count_s"], 4),
        "idle_sweep_ms": round(big_sample["idle_ms"], 2),
        "intake_cost_pct": round(intake["cost_pct"], 1),
        "detection_lag_s": round(intake["detection_lag_s"], 2),
        "ratio": round(full["sweep_s"] / full["count_s"], 1),
        "read_baseline_s": round(full["read_s"], 3),
        "read_ratio": round(full["sweep_s"] / full["read_s"], 1),
        "baseline_cpu_s": round(full["count_cpu_s"], 4),
        "read_baseline_cpu_s": round(full["read_cpu_s"], 3),
        "read_cpu_ratio": round(full["cpu_s"] / full["read_cpu_s"], 1),
        "full_sweep": "every anomalous order due at once (check_at = now), each with its live "
                      "case open: nothing opens" if due == anomalous else
                      f"{due} of the {anomalous} anomalous orders due (--budget), each with its "
                      "live case open: nothing opens",
        "orders": args.orders, "open_cases": anomalous, "due_orders": due,
        "due_all_anomalous": due == anomalous,
        "orders_per_s": round(due / full["sweep_s"]),
        # all anomalous orders due, at the measured per-order time (a lower bound when fewer were
        # due: the per-order cost grows with the number due)
        "sweep_all_est_s": round(full["sweep_s"] / due * anomalous, 1),
        "per_order_us": round(full_us, 1),
        "sweep_cpu_s": round(full["cpu_s"], 2),
        "per_order_cpu_us": round(full["cpu_s"] / due * 1e6, 1),
        "machine_busy": round(full["busy"], 2),
        "growth_due": growth_due,
        "growth_small_orders": small_orders,
        "growth_small_us": round(small_us, 1),
        "growth_big_us": round(big_us, 1),
        "growth_ratio": round(big_us / small_us, 2),
        "growth_small_cpu_us": round(small["cpu_s"] / growth_due * 1e6, 1),
        "growth_big_cpu_us": round(big_sample["cpu_s"] / growth_due * 1e6, 1),
        "growth_cpu_ratio": round(big_sample["cpu_s"] / small["cpu_s"], 2),
        "due_scaling_ratio": round(full_us / big_us, 2),
        "due_scaling_cpu_ratio": round(full["cpu_s"] / due / (big_sample["cpu_s"] / growth_due), 2),
        "intake_on_per_s": round(intake["on"]),
        "intake_off_per_s": round(intake["off"]),
        "intake_cpu_cost_pct": round(intake["cpu_cost_pct"], 1),
        "intake_on_cpu_us": round(intake["on_cpu_us"]),
        "intake_off_cpu_us": round(intake["off_cpu_us"]),
        "intake_events": args.events, "intake_rounds": args.rounds,
        "total_s": round(total_s),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
