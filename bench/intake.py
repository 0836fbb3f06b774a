"""Webhook intake throughput: shopdesk's POST /webhooks/{source} against a bare Litestar endpoint.

Same run, same machine, same server settings (uvicorn, uvloop, httptools, one process, no access
log), loopback only. A load generator keeps CONNECTIONS keep-alive HTTP/1.1 connections busy for
SECONDS against each server in turn, posting signed generic events (every one a new delivery):

  (a) shopdesk: verify the signature, map, store delivery + order snapshot + order event under
      synchronous=FULL and answer only after the commit (group commit on the store's writer
      connection, in the serving process);
  (b) baseline: a bare Litestar endpoint that decodes the same JSON and returns it.

Prints the figures — with each server's CPU per request (and its event loop's share), the load
generator's CPU per request (a warning when it nears a whole core: then it, not the server, may be
the limit) and how busy the whole machine was (other work on it lowers both servers' figures) —
then one JSON object as the last line:
  {"bench": "intake", "events_per_s": …, "baseline_per_s": …, "ratio": …, "p50_ms": …,
   "p99_ms": …, "errors": …, "server_cpu_us": …, "server_loop_cpu_us": …, "baseline_cpu_us": …,
   "generator_core": …, "machine_busy": …}

    python bench/intake.py [--seconds 20] [--connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

SECRET = "whsec_bench_secret_0123456789abcdef"
GENERATOR_LIMIT = 0.8  # of one core: above this the generator may be the bottleneck
HOST = "127.0.0.1"


# --- servers (run in a child process) ---------------------------------------------------------


def _uvicorn_config(app, sock: socket.socket):
    from shopdesk.serving.server import uvicorn_config

    return uvicorn_config(app, loop="uvloop", http="httptools")


async def _serve_shopdesk(db: Path, sock: socket.socket) -> None:
    from shopdesk.api.app import create_app
    from shopdesk.services import Services
    from shopdesk.serving.server import EmbeddedServer, file_logging_config
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
    from shopdesk.serving.server import EmbeddedServer, file_logging_config

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
#
# One asyncio Protocol per connection (no StreamReader lines), bodies from a template and one C
# HMAC each: the generator costs a fraction of what the servers do, so on 2 cores it is not what
# limits them. Its CPU is measured and printed; a round where it used most of a core says so.


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


_MARK = 987654321987  # stands for the event number in the template
_BODY_PARTS = _event(_MARK).split(str(_MARK).encode())


def _body(n: int) -> bytes:
    """_event(n), without encoding JSON for every request."""
    return str(n).encode().join(_BODY_PARTS)


def _request(port: int, n: int) -> bytes:
    body = _body(n)
    timestamp = str(int(time.time())).encode()
    signature = hmac.digest(SECRET.encode(), timestamp + b"." + body, "sha256").hex().encode()
    return b"".join((
        b"POST /webhooks/bench HTTP/1.1\r\nHost: ", HOST.encode(), b":", str(port).encode(),
        b"\r\nContent-Type: application/json\r\nContent-Length: ", str(len(body)).encode(),
        b"\r\nShopdesk-Signature: t=", timestamp, b",v1=", signature, b"\r\n\r\n", body,
    ))


def _content_length(head: bytes) -> int:
    """The Content-Length of an answer's head (lower-cased, without the blank line), else 0."""
    at = head.find(b"\r\ncontent-length:")
    if at < 0:
        return 0
    end = head.find(b"\r\n", at + 2)
    return int(head[at + 17:end if end > 0 else len(head)])


class _Connection(asyncio.Protocol):
    """One keep-alive connection: send a request, read the whole answer, send the next, until the
    deadline."""

    def __init__(self, port: int, deadline: float, counter: list[int], latencies: list[float],
                 errors: list[int], done: asyncio.Future[None]) -> None:
        self.port, self.deadline, self.counter = port, deadline, counter
        self.latencies, self.errors, self.done = latencies, errors, done
        self.buffer = b""
        self.started = 0.0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._send()

    def _send(self) -> None:
        if time.perf_counter() >= self.deadline:
            self.transport.close()
            return
        self.counter[0] += 1
        request = _request(self.port, self.counter[0])
        self.started = time.perf_counter()
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self.buffer[:end].lower()
        length = _content_length(head)
        if len(self.buffer) < end + 4 + length:
            return
        self.latencies.append(time.perf_counter() - self.started)
        status = int(head[9:12]) if head.startswith(b"http/1.1 ") else 0
        if not 200 <= status < 300:
            self.errors[0] += 1
        self.buffer = self.buffer[end + 4 + length:]
        self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def _connections(port: int, deadline: float, count: int, counter: list[int],
                       latencies: list[float], errors: list[int]) -> None:
    loop = asyncio.get_running_loop()
    done = [loop.create_future() for _ in range(count)]
    for future in done:
        await loop.create_connection(
            lambda future=future: _Connection(port, deadline, counter, latencies, errors, future),
            HOST, port)
    await asyncio.gather(*done)


_COUNTER = [0]  # event numbers run on across rounds: every request is a new delivery


def _machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine so far, from /proc/stat."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


async def _load(port: int, seconds: float, connections: int,
                server_cpu: Callable[[], tuple[float, float]] = lambda: (0.0, 0.0)) -> dict:
    counter, latencies, errors = _COUNTER, [], [0]
    # Warm up (first statements, page cache, connections), then measure.
    warm = time.perf_counter() + min(1.0, seconds / 5)
    await _connections(port, warm, connections, counter, [], [0])
    busy_before = _machine_busy()
    cpu_before, server_before = time.process_time(), server_cpu()
    started = time.perf_counter()
    await _connections(port, started + seconds, connections, counter, latencies, errors)
    elapsed = time.perf_counter() - started
    server_after = server_cpu()
    busy_after = _machine_busy()
    return {"latencies": latencies, "elapsed": elapsed, "errors": errors[0],
            "generator_cpu": time.process_time() - cpu_before,
            "server_cpu": server_after[0] - server_before[0],
            "loop_cpu": server_after[1] - server_before[1],
            "machine_busy": (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1])}


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

    def cpu_seconds(self) -> tuple[float, float]:
        """User + system CPU the server has used so far: all its threads and any child processes,
        and its main thread alone (the event loop)."""
        def used(stat: str) -> float:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

        pid = self.child.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        helpers = sum(used(f"/proc/{child}/stat") for child in children)
        return used(f"/proc/{pid}/stat") + helpers, used(f"/proc/{pid}/task/{pid}/stat")

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

    def per_request(key: str) -> float:
        total = sum(result[key] for result in rounds)
        return total / len(latencies) * 1e6 if latencies else 0.0

    return {"per_s": len(latencies) / elapsed if elapsed else 0.0, "p50_ms": percentile(0.50),
            "p99_ms": percentile(0.99), "errors": sum(result["errors"] for result in rounds),
            "requests": len(latencies), "cpu_us": per_request("server_cpu"),
            "loop_us": per_request("loop_cpu"),
            "generator_us": per_request("generator_cpu"),
            # the busiest round: a generator near a whole core is what limits the server
            "generator_core": max(result["generator_cpu"] / result["elapsed"] for result in rounds),
            "machine_busy": sum(result["machine_busy"] for result in rounds) / len(rounds)}


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
                    results[role].append(uvloop.run(_load(
                        servers[role].port, per_round, args.connections, servers[role].cpu_seconds)))
        finally:
            for server in servers.values():
                server.stop()
        baseline, shopdesk = _combine(results["baseline"]), _combine(results["shopdesk"])
        import sqlite3

        with sqlite3.connect(workdir / "bench.db") as conn:
            stored = conn.execute("SELECT count(*) FROM deliveries").fetchone()[0]
        batches = [line for line in servers["shopdesk"].log.read_text().splitlines()
                   if "intake wrote" in line]
    for name, figures, unit in (("baseline", baseline, "req/s"), ("shopdesk", shopdesk, "ev/s ")):
        print(f"{name} : {figures['per_s']:8.0f} {unit}  p50 {figures['p50_ms']:.1f} ms  "
              f"p99 {figures['p99_ms']:.1f} ms  errors {figures['errors']}  "
              f"server CPU {figures['cpu_us']:.0f} us/request (loop {figures['loop_us']:.0f})  "
              f"generator CPU {figures['generator_us']:.0f} us/request")
    for name, figures in (("baseline", baseline), ("shopdesk", shopdesk)):
        if figures["generator_core"] > GENERATOR_LIMIT:
            print(f"warning: the load generator used {figures['generator_core']:.0%} of a core "
                  f"against {name}: it, not the server, may be what limits that figure")
    busy = (baseline["machine_busy"] + shopdesk["machine_busy"]) / 2
    print(f"machine: {busy:.0%} of all {os.cpu_count()} cores busy during the rounds "
          "(servers, generator and anything else running)")
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
        "server_cpu_us": round(shopdesk["cpu_us"]),
        "server_loop_cpu_us": round(shopdesk["loop_us"]),
        "baseline_cpu_us": round(baseline["cpu_us"]),
        "generator_core": round(max(baseline["generator_core"], shopdesk["generator_core"]), 2),
        "machine_busy": round(busy, 2),
    }))


if __name__ == "__main__":
    main()
