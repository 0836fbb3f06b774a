"""The handover request in the store, from both sides, in one process: `shopdesk serve` asks the pid
that serves, gives up after the wait (one clear error), stops on SIGTERM while waiting, and in each
case withdraws its request; an attached desk does not take a port a `serve` has asked for."""

from __future__ import annotations

import asyncio
import http.server
import json
import signal
import threading
from pathlib import Path

import pytest
from ports import free_port

from shopdesk import logs
from shopdesk.config import ApiSettings, Settings
from shopdesk.domain.errors import ShopdeskError
from shopdesk.services import Services
from shopdesk.serving import handover
from shopdesk.serving.runtime import adopt_api
from shopdesk.serving.server import claim_port, serve_api
from shopdesk.store import open_store

OTHER_PID = 424242


class StubbornDesk:
    """Holds a port and answers /healthz as a shopdesk TUI of `store` that never hands over."""

    def __init__(self, port: int, store: Path, role: str = "tui") -> None:
        body = json.dumps({"status": "ok", "app": "shopdesk", "version": "0", "role": role,
                           "store": str(store.resolve()), "pid": OTHER_PID}).encode()

        class Health(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", port), Health)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
async def services(tmp_path):
    logs.configure_file_logging(tmp_path / "shopdesk.log")
    async with open_store(tmp_path / "shop.db") as store:
        yield Services(store, Settings(api=ApiSettings(port=free_port())))


async def test_serve_asks_the_serving_pid_and_gives_up_after_the_wait_with_one_clear_error(
        services, monkeypatch):
    monkeypatch.setattr(handover, "WAIT_SECONDS", 1.0)
    port = services.settings.api.port
    stubborn = StubbornDesk(port, services.store.path)
    lines: list[str] = []
    try:
        claiming = asyncio.create_task(claim_port(services, "127.0.0.1", port, lines.append))
        for _ in range(100):
            asked = await handover.pending(services.store)
            if asked is not None:
                break
            await asyncio.sleep(0.02)
        assert asked is not None and asked.to == OTHER_PID
        with pytest.raises(ShopdeskError) as refused:
            await claiming
    finally:
        stubborn.close()
    assert refused.value.field == "port"
    assert refused.value.detail == (
        f"shopdesk pid {OTHER_PID} did not hand the API on 127.0.0.1:{port} over within 1 s; "
        "quit it, or choose another port with --port")
    assert lines == [(f"127.0.0.1:{port} is served by the shopdesk terminal UI of pid {OTHER_PID} "
                      "on this store: asking it to hand the API over (up to 1 s) …")]
    assert await handover.pending(services.store) is None  # withdrawn


async def test_serve_stops_on_sigterm_while_waiting_and_withdraws_its_request(services):
    port = services.settings.api.port
    stubborn = StubbornDesk(port, services.store.path)
    try:
        serving = asyncio.create_task(serve_api(services, services.settings, port=port))
        for _ in range(100):
            if await handover.pending(services.store) is not None:
                break
            await asyncio.sleep(0.02)
        signal.raise_signal(signal.SIGTERM)  # systemd stopping the service meanwhile
        await asyncio.wait_for(serving, 5)  # returns: nothing served, nothing to drain
    finally:
        stubborn.close()
    assert await handover.pending(services.store) is None


async def test_serve_does_not_take_the_api_from_another_serve(services):
    port = services.settings.api.port
    other = StubbornDesk(port, services.store.path, role="serve")
    try:
        with pytest.raises(ShopdeskError) as refused:
            await claim_port(services, "127.0.0.1", port)
    finally:
        other.close()
    assert refused.value.detail.startswith(f"shopdesk serve (pid {OTHER_PID}) already serves ")
    assert await handover.pending(services.store) is None  # nobody was asked


async def test_an_attached_desk_leaves_a_port_alone_while_a_serve_has_asked_for_it(services):
    await handover.request(services.store, by=OTHER_PID, to=1)
    adopting = asyncio.create_task(
        adopt_api(services, services.settings, Path("/dev/null"), every=0.02))
    await asyncio.sleep(0.3)
    assert not adopting.done()  # the port is free, but promised to the service
    await handover.withdraw(services.store, by=OTHER_PID)  # the service gave up
    handle = await asyncio.wait_for(adopting, 5)
    await handle.stop()


async def test_a_request_left_by_a_serve_that_died_goes_stale(services):
    await handover.request(services.store, by=OTHER_PID, to=1, now=1_000_000.0)
    assert await handover.pending(services.store, now=1_000_001.0) is not None
    assert await handover.pending(
        services.store, now=1_000_000.0 + handover.FRESH_SECONDS + 1) is None
    await handover.withdraw(services.store, by=7)  # someone else's: stays
    assert await handover.pending(services.store, now=1_000_001.0) is not None
