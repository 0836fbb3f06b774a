"""`shopdesk serve` killed with SIGKILL in the middle of a burst of deliveries: every delivery it
answered 2xx is in the store and the store is intact."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from api_helpers import generic_headers
from ports import free_port

SECRET = "whsec_killed_serve_secret_0000"


def _body(worker: int, n: int) -> bytes:
    return (f'{{"id": "evt_{worker}_{n}", "type": "created", "occurred_at": '
            f'"2026-11-23T02:00:00Z", "order": {{"id": "{worker}-{n}", "number": "SO-{worker}-{n}",'
            f' "total": "10.00", "currency": "CNY", "status": "pending"}}}}').encode()


def test_a_killed_serve_kept_every_delivery_it_acknowledged(tmp_path: Path):
    db = tmp_path / "shop.db"
    env = {**os.environ, "SHOPDESK_LOG": str(tmp_path / "shopdesk.log"),
           "SHOPDESK_CONFIG": str(tmp_path / "none.toml")}
    shopdesk = [sys.executable, "-m", "shopdesk", "--db", str(db)]
    subprocess.run([*shopdesk, "init"], env=env, check=True, capture_output=True)
    subprocess.run([*shopdesk, "source", "add", "shop", "--kind", "generic", "--secret", SECRET],
                   env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen([*shopdesk, "serve", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    acknowledged: list[str] = []
    stop = threading.Event()

    def post_until_stopped(worker: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            n = 0
            while not stop.is_set():
                n += 1
                body = _body(worker, n)
                headers = generic_headers(body, SECRET)
                try:
                    response = client.post("/webhooks/shop", content=body, headers=headers)
                except httpx.HTTPError:
                    return  # the server is gone
                if response.status_code == 200:
                    acknowledged.append(f"event:evt_{worker}_{n}")

    try:
        assert server.stdout.readline().startswith("serving")
        workers = [threading.Thread(target=post_until_stopped, args=(k,)) for k in range(8)]
        for worker in workers:
            worker.start()
        deadline = time.monotonic() + 30
        while len(acknowledged) < 200 and time.monotonic() < deadline:
            time.sleep(0.01)
        server.send_signal(signal.SIGKILL)
        server.wait()
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
    finally:
        stop.set()
        if server.poll() is None:
            server.kill()
    assert len(acknowledged) >= 200
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {row[0] for row in conn.execute("SELECT dedupe_key FROM deliveries")}
    missing = set(acknowledged) - stored
    assert not missing, f"{len(missing)} deliveries answered 200 but not stored"
