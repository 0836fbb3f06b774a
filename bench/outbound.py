"""Outbound: does sending slow the desk, and how fast does the outbox drain?

Same run, same machine. Receivers run in a child process (their work is not ours):

  (1) impact: in one process — the one that serves the API and the TUI — webhook intake runs at
      full speed (services.intake.receive, CONCURRENCY at a time) for SECONDS while a probe task
      measures the event loop's stalls (how late a 5 ms sleep wakes: what a keystroke waits).
      With an empty outbox (the baseline) and while the sender delivers from 1,000 messages to
      a receiver that answers each after 200 ms, alternating ROUNDS times (medians compared:
      the machine is shared and its load moves). Targets: intake events/s and the p99 stall
      within 10 % of the baseline (the stall compared with a floor of 1 ms: below that, noise).
  (2) throughput: 1,000 messages to a receiver that answers at once; messages/s from the first
      claim to the last recorded outcome, and the most connections the receiver saw open at once
      (bounded by the sender's pool). Target: >= 200 messages/s.

Last line, one JSON object:
  {"bench": "outbound", "intake_per_s": …, "intake_baseline_per_s": …, "intake_ratio": …,
   "stall_p99_ms": …, "stall_baseline_p99_ms": …, "slow_sent": …, "messages_per_s": …,
   "max_connections": …, "pool": …}

    python bench/outbound.py [--seconds 10] [--messages 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SECRET = "whsec_bench_secret_0123456789abcdef"
CONCURRENCY = 16  # intake requests in flight
STALL_PROBE_SECONDS = 0.005


# --- the receiver (child process) ------------------------------------------------------------------


def receiver_main(delay: float) -> None:
    """Serve POSTs on a free port, answering after `delay` s; print the port, then on stdin's end
    one JSON line of figures."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from receivers import Receiver

    async def main() -> None:
        async with Receiver(delay=delay) as receiver:
            print(receiver.port, flush=True)
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, sys.stdin.read)
            print(json.dumps({"requests": len(receiver.requests),
                              "max_connections": receiver.max_open_connections}), flush=True)

    asyncio.run(main())


@contextlib.contextmanager
def receiver(delay: float):
    child = subprocess.Popen([sys.executable, __file__, "--receiver", str(delay)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        port = int(child.stdout.readline())
        figures: dict = {}
        yield port, figures
        child.stdin.close()
        figures.update(json.loads(child.stdout.readline()))
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()


# --- the desk's process ----------------------------------------------------------------------------


def _webhook(number: int) -> tuple[dict[str, str], bytes]:
    from shopdesk.domain.intake.signatures import sign_generic

    event = {"id": f"evt_bench_{number}", "type": "paid", "occurred_at": "2026-11-23T02:00:00Z",
             "order": {"id": f"B{number}", "number": f"SO-B{number}", "total": "59.80",
                       "paid": "59.80", "currency": "CNY", "status": "paid"}}
    body = json.dumps(event).encode()
    return ({"content-type": "application/json",
             "shopdesk-signature": sign_generic(SECRET, body, int(time.time()))}, body)


async def _queue(services, count: int, url: str) -> None:
    """`count` pending messages to one hook (as case events would queue them, in one go)."""
    from shopdesk.domain.outbound import EventCase, OutboundEvent
    from shopdesk.services.outbound import OutboundService
    from shopdesk.store import outbox as outbox_rows

    # The hook takes no case events: cases that intake's detection opens queue nothing more.
    hook = await services.outbound.add_hook(services.actor("bench"), f"h{time.time_ns()}", url,
                                            events="incident.declared")
    now = services.now()
    case = EventCase(ref="C-000001", kind="lost", level=2, urgent=False, status="new",
                     tier="operator", title="bench")
    async with services.store.transaction() as conn:
        for number in range(count):
            event = OutboundEvent(id=f"bench-{hook.id}-{number}", type="case.opened",
                                  occurred_at=now, shop="bench", summary="bench", case=case)
            await outbox_rows.insert_message(
                conn, message_id=f"{event.id}.h{hook.id}", channel="hook", hook_id=hook.id,
                target=hook.name, event=event.type, case_id=None,
                payload=__import__("msgspec").to_builtins(event), at=now, next_try=time.time())
    assert isinstance(services.outbound, OutboundService)


async def _quiet(services) -> None:
    """Stop what intake started in the background (detection's checks) before the store closes."""
    detection = getattr(services, "detection", None)
    if detection is not None and hasattr(detection, "aclose"):
        await detection.aclose()


async def _probe(stop: asyncio.Event, lateness: list[float]) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        asked = loop.time()
        await asyncio.sleep(STALL_PROBE_SECONDS)
        lateness.append(max(0.0, loop.time() - asked - STALL_PROBE_SECONDS))


async def _intake(services, seconds: float, first: int) -> int:
    deadline = time.monotonic() + seconds
    done = [0]

    async def worker(offset: int) -> None:
        number = first + offset
        while time.monotonic() < deadline:
            headers, body = _webhook(number)
            await services.intake.receive("bench", headers, body)
            done[0] += 1
            number += CONCURRENCY

    await asyncio.gather(*(worker(k) for k in range(CONCURRENCY)))
    return done[0]


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) >= 100 else max(values or [0])


async def impact(db: Path, seconds: float, messages: int, rounds: int) -> dict:
    """Baseline and sending runs alternate `rounds` times (the machine is shared: its load moves);
    the medians are compared."""
    from shopdesk.sending.sender import OutboxSender
    from shopdesk.services import Services
    from shopdesk.store import open_store

    runs: dict[str, list[dict]] = {"baseline": [], "sending": []}
    async with open_store(db) as store:
        services = Services(store)
        await services.sources.add("bench", "generic", SECRET)
        await _intake(services, 1.0, 10_000_000)  # warm up
        first = 0
        with receiver(0.2) as (port, figures):
            for _round in range(rounds):
                for run in ("baseline", "sending"):
                    first += 1_000_000
                    stop = asyncio.Event()
                    lateness: list[float] = []
                    sender_task = None
                    if run == "sending":
                        await _queue(services, messages, f"http://127.0.0.1:{port}/hook")
                        sender_task = asyncio.create_task(OutboxSender(services).run())
                        await asyncio.sleep(0.5)  # the sender is busy before intake is measured
                    probe = asyncio.create_task(_probe(stop, lateness))
                    begun = time.perf_counter()
                    count = await _intake(services, seconds, first)
                    elapsed = time.perf_counter() - begun
                    stop.set()
                    await probe
                    sent = 0
                    if sender_task is not None:
                        sender_task.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await sender_task
                        sent = sum(1 for m in await services.outbound.list(limit=messages)
                                   if m.status == "sent")
                        async with store.transaction() as conn:  # the rest: not for the next run
                            await conn.execute("UPDATE outbox SET status = 'cancelled' "
                                               "WHERE status IN ('pending', 'sending')")
                    found = {"per_s": count / elapsed, "p99_ms": _p99(lateness) * 1000,
                             "max_ms": max(lateness or [0]) * 1000, "sent": sent}
                    runs[run].append(found)
                    print(f"{run:9}: intake {found['per_s']:7.0f} events/s, loop stall p99 "
                          f"{found['p99_ms']:.2f} ms (max {found['max_ms']:.1f} ms)"
                          + (f", {sent} messages delivered meanwhile" if sender_task else ""),
                          file=sys.stderr)
        await _quiet(services)
    return {run: {name: statistics.median(found[name] for found in found_runs)
                  for name in ("per_s", "p99_ms", "max_ms", "sent")}
            for run, found_runs in runs.items()}


async def throughput(db: Path, messages: int) -> dict:
    from shopdesk.sending.sender import OutboxSender
    from shopdesk.services import Services
    from shopdesk.store import open_store

    async with open_store(db) as store:
        services = Services(store)
        with receiver(0.0) as (port, figures):
            await _queue(services, messages, f"http://127.0.0.1:{port}/hook")
            sender = OutboxSender(services)
            begun = time.perf_counter()
            task = asyncio.create_task(sender.run())
            while await services.outbound.pending_count() or any(
                    m.status == "sending" for m in await services.outbound.list(limit=20)):
                await asyncio.sleep(0.02)
            elapsed = time.perf_counter() - begun
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            sent = sum(1 for m in await services.outbound.list(limit=messages * 2)
                       if m.status == "sent")
        pool = sender._concurrency
    result = {"sent": sent, "per_s": sent / elapsed, "max_connections": figures["max_connections"],
              "requests": figures["requests"], "pool": pool}
    print(f"throughput: {sent} messages in {elapsed:.2f} s = {result['per_s']:.0f}/s, at most "
          f"{result['max_connections']} connections open (pool {pool})", file=sys.stderr)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--receiver", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receiver is not None:
        receiver_main(args.receiver)
        return
    with tempfile.TemporaryDirectory() as folder:
        found = asyncio.run(impact(Path(folder) / "impact.db", args.seconds, args.messages,
                                   args.rounds))
        speed = asyncio.run(throughput(Path(folder) / "speed.db", args.messages))
    baseline, sending = found["baseline"], found["sending"]
    figures = {
        "bench": "outbound",
        "intake_per_s": round(sending["per_s"], 1),
        "intake_baseline_per_s": round(baseline["per_s"], 1),
        "intake_ratio": round(sending["per_s"] / baseline["per_s"], 3),
        "stall_p99_ms": round(sending["p99_ms"], 2),
        "stall_baseline_p99_ms": round(baseline["p99_ms"], 2),
        "slow_sent": sending["sent"],
        "messages_per_s": round(speed["per_s"], 1),
        "max_connections": speed["max_connections"],
        "pool": speed["pool"],
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
