"""server.py: the pieces runtime.py and `shopdesk serve` build on."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import uvicorn
from api_helpers import encode, generic_event, generic_headers
from ports import free_port

from shopdesk.api.app import create_app
from shopdesk.serving.server import (
    EmbeddedServer,
    bind_api_socket,
    file_logging_config,
    uvicorn_config,
)


def test_bind_api_socket_returns_none_when_the_port_is_taken():
    first = bind_api_socket("127.0.0.1", 0)
    assert first is not None
    try:
        port = first.getsockname()[1]
        assert bind_api_socket("127.0.0.1", port) is None
    finally:
        first.close()


def test_file_logging_config_installs_no_stream_handler(tmp_path: Path, services):
    log_file = tmp_path / "api.log"
    create_app(services, logging_config=file_logging_config(log_file))
    litestar_logger = logging.getLogger("litestar")
    handlers = litestar_logger.handlers
    assert handlers and all(isinstance(handler, logging.FileHandler) for handler in handlers)
    assert not any(type(handler) is logging.StreamHandler for handler in logging.getLogger().handlers)
    litestar_logger.warning("to the file")
    for handler in handlers:
        handler.flush()
    assert "to the file" in log_file.read_text()


async def test_embedded_server_leaves_signal_handlers_alone_and_drains(services, tmp_path):
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    sock = bind_api_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    app = create_app(services, logging_config=file_logging_config(tmp_path / "api.log"))
    server = EmbeddedServer(uvicorn_config(app))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    body = encode(generic_event())
    headers = {**generic_headers(body), "Host": "127.0.0.1"}
    async with httpx.AsyncClient() as client:
        posted = asyncio.create_task(
            client.post(f"http://127.0.0.1:{port}/webhooks/shop", content=body, headers=headers))
        while not server.server_state.tasks:  # the request is in flight in the server
            await asyncio.sleep(0.001)
        server.should_exit = True
        response = await posted
    await task
    assert response.status_code == 200
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
    assert await services.orders.find("shop", "1001") is not None


def test_shopdesk_serve_logs_to_the_file_and_stops_cleanly_on_sigterm(tmp_path: Path):
    db, log = tmp_path / "shop.db", tmp_path / "shopdesk.log"
    env = {**os.environ, "SHOPDESK_LOG": str(log), "SHOPDESK_CONFIG": str(tmp_path / "none.toml")}
    shopdesk = [sys.executable, "-m", "shopdesk", "--db", str(db)]
    added = subprocess.run([*shopdesk, "source", "add", "shop", "--kind", "generic",
                            "--secret", "whsec_serve_test_secret_000"],
                           env=env, capture_output=True, text=True, check=True)
    assert "webhook URL" in added.stdout
    port = free_port()
    server = subprocess.Popen([*shopdesk, "serve", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        assert line.strip() == f"serving {db} on http://127.0.0.1:{port}"
        health = httpx.get(f"http://127.0.0.1:{port}/healthz").json()
        assert health["store"] == str(db.resolve()) and health["pid"] == server.pid
        body = encode(generic_event())
        response = httpx.post(
            f"http://127.0.0.1:{port}/webhooks/shop", content=body,
            headers=generic_headers(body, "whsec_serve_test_secret_000"))
        assert response.status_code == 200, response.text
        busy = subprocess.run([*shopdesk, "serve", "--port", str(port)], env=env,
                              capture_output=True, text=True, timeout=30)
        assert busy.returncode == 2
        assert busy.stderr == (f"shopdesk: shopdesk serve (pid {server.pid}) already serves {db} "
                               f"on 127.0.0.1:{port}; stop it first (one service per store)\n")
        elsewhere = subprocess.run([*shopdesk, "serve", "--port", str(free_port())], env=env,
                                   capture_output=True, text=True, timeout=30)
        assert elsewhere.returncode == 2  # another port: still one service per store
        assert elsewhere.stderr == busy.stderr
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    assert server.returncode == 0
    assert out == "" and err == ""
    text = log.read_text()
    assert "serving" in text and "stopped serving" in text


def test_uvicorn_config_has_no_logging_of_its_own():
    config = uvicorn_config(lambda scope, receive, send: None)
    assert config.log_config is None and config.access_log is False
    assert isinstance(config, uvicorn.Config)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "[::1]"])
def test_bind_api_socket_accepts_ipv4_and_ipv6(host):
    try:
        sock = bind_api_socket(host, 0)
    except Exception as error:  # pragma: no cover - a machine without IPv6
        pytest.skip(str(error))
    assert sock is not None
    sock.close()
