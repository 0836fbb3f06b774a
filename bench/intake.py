"""Webhook intake throughput: shopdesk's POST /webhooks/{source} against a bare Litestar endpoint.

Same run, same machine, same server settings (uvicorn, uvloop, httptools, one process, no access
log), loopback only. A load generator keeps CONNECTIONS keep-alive HTTP/1.1 connections busy for
SECONDS against each server in turn, posting signed generic events (every one a new delivery):

  (a) shopdesk: verify the signature, map, store delivery + order snapshot + order event under
      synchronous=FULL and answer only after the commit (group commit);
  (b) baseline: a bare Litestar endpoint that decodes the same JSON and returns it.

Prints the figures, then one JSON object as the last line:
  {"bench": "intake", "events_per_s": …, "baseline_per_s": …, "ratio": …, "p50_ms": …,
   "p99_ms": …, "errors": …}

    python bench/intake.py [--seconds 20] [--connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SECRET = "whsec_bench_secret_0123456789abcdef"
HOST = "127.0.0.1"


# --- servers (run in a child process) ---------------------------------------------------------


def _uvicorn_config(app, sock: socket.socket):
    from shopdesk.server import uvicorn_config

    return uvicorn_config(app, loop="uvloop", http="httptools")


async def _serve_shopdesk(db: Path, sock: socket.socket) -> None:
    from shopdesk.api.app import create_app
    from shopdesk.server import EmbeddedServer, file_logging_config
    from shopdesk.services import Services
    from shopdesk.store import open_store

    async with open_store(db) as store:
        services = Services(store)
        await services.sources.add("bench", "generic", SECRET)
        log = Path(os.environ["SHOPDESK_LOG"])
        app = create_app(services, logging_config=file_logging_config(log))
        server = EmbeddedServer(_uvicorn_config(app, sock))
        await _run_until_stdin_closes(server, sock)


async def _serve_baseline(sock: socket.socket) -> None:
    import msgspec
    from litestar import Litestar, Request, Response, post

    from shopdesk.domain.intake.generic import GenericEvent
    from shopdesk.server import EmbeddedServer, file_logging_config

    decoder = msgspec.json.Decoder(GenericEvent)
    encoder = msgspec.json.Encoder()

    @post("/webhooks/{source:str}", status_code=200)
    async def echo(request: Request) -> Response[bytes]:
        event = decoder.decode(await request.body())
        return Response(encoder.encode(event), media_type="application/json")

    app = Litestar([echo], logging_config=file_logging_config(Path(os.environ["SHOPDESK_LOG"])),
                   signature_namespace={"Request": Request, "Response": Response})
    server = EmbeddedServer(_uvicorn_config(app, sock))
    await _run_until_stdin_closes(server, sock)


async def _run_until_stdin_closes(server, sock: socket.socket) -> None:
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # the parent closes stdin to stop us
    server.should_exit = True
    await task


def server_main(role: str, db: str, fd: int) -> None:
    import uvloop

    from shopdesk.logs import configure_file_logging

    configure_file_logging(Path(os.environ["SHOPDESK_LOG"]))
    if os.environ.get("BENCH_SWITCH"):
        sys.setswitchinterval(float(os.environ["BENCH_SWITCH"]))
    sock = socket.socket(fileno=fd)
    coroutine = _serve_shopdesk(Path(db), sock) if role == "shopdesk" else _serve_baseline(sock)
    if os.environ.get("BENCH_PROFILE") == role:  # BENCH_PROFILE=shopdesk: cProfile the server
        import cProfile

        cProfile.runctx("uvloop.run(coroutine)", globals(), locals(), f"/tmp/bench-{role}.prof")
        return
    uvloop.run(coroutine)


# --- the load generator -------------------------------------------------------------------------


def _event(n: int) -> bytes:
    return json.dumps({
        "id": f"evt_{os.getpid()}_{n}",
        "type": "paid",
        "occurred_at": "2026-11-23T02:00:00Z",
        "order": {
            "id": str(n), "number": f"SO-{n}",
            "customer": {"name": "王芳", "email": "wang.fang@example.com", "phone": "13800138000"},
            "address": "浙江省杭州市西湖区文三路 90 号",
            "items": [{"name": "Tea set", "quantity": 2, "sku": "TEA-2", "price": "29.90"}],
            "total": "59.80", "paid": "59.80", "currency": "CNY", "status": "paid",
            "placed_at": "2026-11-23T01:58:00Z", "paid_at": "2026-11-23T02:00:00Z",
        },
    }, ensure_ascii=False).encode()


def _request(port: int, n: int) -> bytes:
    from shopdesk.domain.intake.signatures import sign_generic

    body = _event(n)
    signature = sign_generic(SECRET, body, int(time.time()))
    head = (
        f"POST /webhooks/bench HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        f"Shopdesk-Signature: {signature}\r\n\r\n"
    )
    return head.encode() + body


async def _connection(port: int, deadline: float, counter: list[int], latencies: list[float],
                      errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        while time.perf_counter() < deadline:
            counter[0] += 1
            request = _request(port, counter[0])
            started = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            status = int(status_line.split()[1]) if status_line else 0
            if not 200 <= status < 300:
                errors[0] += 1
    finally:
        writer.close()


_COUNTER = [0]  # event numbers run on across rounds: every request is a new delivery


async def _load(port: int, seconds: float, connections: int) -> dict:
    counter, latencies, errors = _COUNTER, [], [0]
    # Warm up (first statements, page cache, connections), then measure.
    warm = time.perf_counter() + min(1.0, seconds / 5)
    await asyncio.gather(*(_connection(port, warm, counter, [], [0]) for _ in range(connections)))
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(_connection(port, deadline, counter, latencies, errors)
                           for _ in range(connections)))
    elapsed = time.perf_counter() - started
    return {"latencies": latencies, "elapsed": elapsed, "errors": errors[0]}


class _Server:
    """One server in a child process, on a socket bound here (loopback, a free port)."""

    def __init__(self, role: str, workdir: Path) -> None:
        sock = socket.create_server((HOST, 0), backlog=2048)
        self.role = role
        self.port = sock.getsockname()[1]
        self.log = workdir / f"{role}.log"
        env = {**os.environ, "SHOPDESK_LOG": str(self.log)}
        self.child = subprocess.Popen(
            [sys.executable, __file__, "--serve", role, str(workdir / "bench.db"),
             str(sock.fileno())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, pass_fds=[sock.fileno()], env=env,
        )
        sock.close()
        line = self.child.stdout.readline()
        if line.strip() != b"ready":
            self.stop()
            raise SystemExit(f"the {role} server did not start: {line!r}")

    def cpu_seconds(self) -> float:
        """User + system CPU the server process has used so far (all its threads)."""
        fields = Path(f"/proc/{self.child.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.child.stdin.close()
        try:
            self.child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.child.kill()


def _combine(rounds: list[dict]) -> dict:
    latencies = sorted(latency for result in rounds for latency in result["latencies"])
    elapsed = sum(result["elapsed"] for result in rounds)

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0

    cpu = sum(result.get("cpu", 0.0) for result in rounds)
    return {"per_s": len(latencies) / elapsed if elapsed else 0.0, "p50_ms": percentile(0.50),
            "cpu_us": cpu / len(latencies) * 1e6 if latencies else 0.0,
            "p99_ms": percentile(0.99), "errors": sum(result["errors"] for result in rounds),
            "requests": len(latencies)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="per server (default 20)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument("--rounds", type=int, default=4,
                        help="alternate the two servers in this many rounds (default 4)")
    parser.add_argument("--serve", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        role, db, fd = args.serve
        server_main(role, db, int(fd))
        return
    if not 1 <= args.seconds <= 120:
        parser.error("--seconds must be between 1 and 120")
    if not 1 <= args.rounds <= 20:
        parser.error("--rounds must be between 1 and 20")
    import uvloop

    with tempfile.TemporaryDirectory(prefix="shopdesk-bench-") as tmp:
        workdir = Path(tmp)
        servers = {"baseline": _Server("baseline", workdir), "shopdesk": _Server("shopdesk", workdir)}
        results: dict[str, list[dict]] = {"baseline": [], "shopdesk": []}
        try:
            # Alternate in short rounds so that noise from the machine hits both alike.
            per_round = args.seconds / args.rounds
            for index in range(args.rounds):
                order = ("baseline", "shopdesk") if index % 2 == 0 else ("shopdesk", "baseline")
                for role in order:
                    cpu_before = servers[role].cpu_seconds()
                    result = uvloop.run(_load(servers[role].port, per_round, args.connections))
                    result["cpu"] = servers[role].cpu_seconds() - cpu_before
                    results[role].append(result)
        finally:
            for server in servers.values():
                server.stop()
        baseline, shopdesk = _combine(results["baseline"]), _combine(results["shopdesk"])
        import sqlite3

        with sqlite3.connect(workdir / "bench.db") as conn:
            stored = conn.execute("SELECT count(*) FROM deliveries").fetchone()[0]
        batches = [line for line in servers["shopdesk"].log.read_text().splitlines()
                   if "intake wrote" in line]
    print(f"baseline : {baseline['per_s']:8.0f} req/s  p50 {baseline['p50_ms']:.1f} ms  "
          f"p99 {baseline['p99_ms']:.1f} ms  errors {baseline['errors']}  "
          f"server CPU {baseline['cpu_us']:.0f} us/request (warm-up included)")
    print(f"shopdesk : {shopdesk['per_s']:8.0f} ev/s   p50 {shopdesk['p50_ms']:.1f} ms  "
          f"p99 {shopdesk['p99_ms']:.1f} ms  errors {shopdesk['errors']}  "
          f"server CPU {shopdesk['cpu_us']:.0f} us/event (warm-up included)")
    print(f"stored {stored} deliveries with synchronous=FULL")
    if batches:
        print("group commit:", batches[-1].split(": ", 1)[-1])
    ratio = shopdesk["per_s"] / baseline["per_s"] if baseline["per_s"] else 0.0
    print(json.dumps({
        "bench": "intake",
        "events_per_s": round(shopdesk["per_s"]),
        "baseline_per_s": round(baseline["per_s"]),
        "ratio": round(ratio, 2),
        "p50_ms": round(shopdesk["p50_ms"], 1),
        "p99_ms": round(shopdesk["p99_ms"], 1),
        "errors": shopdesk["errors"] + baseline["errors"],
        "connections": args.connections,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "stored": stored,
    }))


if __name__ == "__main__":
    main()
