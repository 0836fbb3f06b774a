"""Safety of what goes out: TLS verified, answers read up to a cap, shopdesk's own API refused at
send time, secrets never in logs, and `shopdesk serve` killed mid-send sends again on restart
with the same event id."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest
from outbound_helpers import open_case, sending, wait_until
from receivers import Receiver

from shopdesk.config import ApiSettings, Settings
from shopdesk.domain.outbound import EventCase, Hook, OutboundEvent
from shopdesk.sending.http_post import HttpPoster

EVENT = OutboundEvent(id="x-ev1", type="case.opened", occurred_at=datetime.now(UTC), shop="T",
                      summary="s", case=EventCase(ref="C-000001", kind="lost", level=1,
                                                  urgent=False, status="new", tier="operator",
                                                  title="t"))


def hook(url: str, **options) -> Hook:
    return Hook(id=1, name="h", url=url, format=options.pop("format", "shopdesk"), events=[],
                only=[], secret=options.pop("secret", ""), created_at=datetime.now(UTC))


async def test_an_https_receiver_with_an_untrusted_certificate_is_refused(tmp_path):
    import shutil

    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True,
                   timeout=60)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    requests: list[bytes] = []

    async def answer(reader, writer):
        requests.append(await reader.read(100))
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    try:
        async with HttpPoster(Settings()) as poster:
            outcome = await poster.deliver(hook(f"https://127.0.0.1:{port}/hook"), EVENT, lang="en")
    finally:
        server.close()
    assert not outcome.ok and "certificate" in outcome.answer.lower()
    assert not any(requests)  # nothing was sent over the unverified connection


async def test_a_huge_answer_is_read_only_up_to_the_cap():
    async with Receiver(lambda n, request: (500, {}, b"x" * 5_000_000)) as receiver:
        async with HttpPoster(Settings(), body_cap=4096) as poster:
            outcome = await poster.deliver(hook(receiver.url), EVENT, lang="en")
    assert not outcome.ok and outcome.answer.startswith("HTTP 500") and len(outcome.answer) < 400


async def test_a_hook_that_became_shopdesks_own_api_is_not_sent_to():
    async with Receiver() as receiver:
        settings = Settings(api=ApiSettings(port=receiver.port))  # the config changed since
        async with HttpPoster(settings) as poster:
            outcome = await poster.deliver(hook(receiver.url), EVENT, lang="en")
    assert not outcome.ok and outcome.permanent and "own API" in outcome.answer
    assert receiver.requests == []


async def test_secrets_and_robot_keys_never_reach_the_log(services, caplog):
    caplog.set_level(logging.INFO)  # the log file's level (shopdesk.logs)
    async with Receiver(lambda n, request: (403, {}, b'{"errcode":93000,"errmsg":"bad key"}')) \
            as receiver:
        url = receiver.url + "?key=ROBOTKEY-123"
        await services.outbound.add_hook(services.actor("li.na"), "ops", url, format="wecom")
        await services.outbound.add_hook(services.actor("li.na"), "plugin", receiver.url,
                                         secret="whsec_TOPSECRET")
        await open_case(services)
        async with sending(services):
            await wait_until(lambda: _all_done(services))
    text = caplog.text + "".join(m.last_error for m in await services.outbound.list())
    assert "ROBOTKEY-123" not in text and "TOPSECRET" not in text


async def _all_done(services):
    messages = await services.outbound.list()
    return messages and all(m.status in ("sent", "failed") for m in messages)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _receiver_in_thread(receiver: Receiver) -> None:
    loop = asyncio.new_event_loop()
    started = threading.Event()

    async def serve():
        async with receiver:
            started.set()
            await asyncio.Event().wait()

    threading.Thread(target=lambda: loop.run_until_complete(serve()), daemon=True).start()
    assert started.wait(10)


def _wait(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_serve_killed_mid_send_sends_again_on_restart_with_the_same_id(tmp_path: Path):
    receiver = Receiver(lambda n, request: "hang" if n == 1 else (200, {}, b"ok"))
    _receiver_in_thread(receiver)
    db = tmp_path / "shop.db"
    env = {**os.environ, "SHOPDESK_LOG": str(tmp_path / "shopdesk.log"),
           "SHOPDESK_CONFIG": str(tmp_path / "none.toml")}
    shopdesk = [sys.executable, "-m", "shopdesk", "--db", str(db)]
    subprocess.run([*shopdesk, "init"], env=env, check=True, capture_output=True)
    subprocess.run([*shopdesk, "hook", "add", "plugin", "--url", receiver.url, "--secret",
                    "whsec_kill"], env=env, check=True, capture_output=True)
    subprocess.run([*shopdesk, "cases", "open", "--kind", "lost", "--title", "Parcel lost"],
                   env=env, check=True, capture_output=True)

    def serve() -> subprocess.Popen:
        return subprocess.Popen([*shopdesk, "serve", "--port", str(_free_port())], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    first = serve()
    try:
        _wait(lambda: len(receiver.requests) >= 1)  # mid-send: the receiver holds the request
        first.send_signal(signal.SIGKILL)
        first.wait(30)
        second = serve()
        try:
            _wait(lambda: len(receiver.requests) >= 2)
            status = lambda: subprocess.run(  # noqa: E731
                [*shopdesk, "outbox", "--json"], env=env, capture_output=True, text=True,
            ).stdout
            _wait(lambda: '"status":"sent"' in status())
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(30)
    finally:
        if first.poll() is None:
            first.kill()
    one, two = (msgspec.json.decode(request.body) for request in receiver.requests[:2])
    assert one["id"] == two["id"] and one["type"] == "case.opened"
    assert len(receiver.requests) == 2
