"""`shopdesk hook …` and `shopdesk outbox …` as a user types them: output, one-line refusals with
exit 2, secrets never shown, `hook test` against a local receiver."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import pytest
from receivers import Receiver

from shopdesk.cli import main


@pytest.fixture
def run(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("SHOPDESK_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("SHOPDESK_LOG", str(tmp_path / "shopdesk.log"))
    db = tmp_path / "shop.db"

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(["--db", str(db), *argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    run.db = db
    run.log = tmp_path / "shopdesk.log"
    return run


def test_hooks_are_added_listed_and_removed_without_showing_secrets(run):
    code, out, _ = run("hook", "add", "ops", "--url",
                       "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=ROBOTKEY123",
                       "--format", "wecom", "--events", "case.opened,case.escalated",
                       "--only", "urgent,L3")
    assert code == 0 and "ROBOTKEY123" not in out
    code, out, _ = run("hook", "add", "plugin", "--url", "https://plugin.example/hook",
                       "--secret", "whsec_TOPSECRET")
    assert code == 0 and "signed" in out and "TOPSECRET" not in out
    code, out, _ = run("hook", "list")
    assert "ops" in out and "wecom" in out and "urgent,L3" in out and "plugin" in out
    assert "ROBOTKEY123" not in out and "TOPSECRET" not in out
    code, out, _ = run("hook", "remove", "ops")
    assert code == 0 and "ops removed" in out
    assert "ops" not in run("hook", "list")[1]


@pytest.mark.parametrize(("argv", "message"), [
    (("hook", "add", "x", "--url", "ftp://x.example/"), "http:// or https://"),
    (("hook", "add", "x", "--url", "http://127.0.0.1:8765/webhooks/x"), "own API"),
    (("hook", "add", "x", "--url", "http://h.example/", "--events", "case.eaten"), "case.eaten"),
    (("hook", "add", "x", "--url", "http://h.example/", "--only", "vip"), "vip"),
    (("hook", "remove", "nobody"), "no hook named"),
    (("hook", "test", "nobody"), "no hook named"),
    (("outbox", "retry", "77"), "no outbox message #77"),
    (("outbox", "cancel", "x7"), "not an outbox id"),
])
def test_refusals_are_one_line_and_exit_2(run, argv, message):
    run("hook", "add", "first", "--url", "http://h.example/")
    code, _out, err = run(*argv)
    assert code == 2 and err.count("\n") == 1 and message in err


def _serve_in_thread(receiver: Receiver) -> tuple[threading.Thread, asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    started = threading.Event()

    async def serve():
        async with receiver:
            started.set()
            await asyncio.Event().wait()

    thread = threading.Thread(target=lambda: loop.run_until_complete(serve()), daemon=True)
    thread.start()
    assert started.wait(10)
    return thread, loop


def test_hook_test_sends_a_sample_now_and_says_how_it_went(run):
    receiver = Receiver()
    _thread, _loop = _serve_in_thread(receiver)
    run("hook", "add", "plugin", "--url", receiver.url, "--secret", "whsec_abc")
    code, out, _ = run("hook", "test", "plugin")
    assert code == 0 and "delivered" in out
    body = json.loads(receiver.requests[0].body)
    assert body["type"] == "hook.test" and "shopdesk-signature" in receiver.requests[0].headers
    receiver.behave = lambda n, request: (404, {}, b"no such hook")
    code, _out, err = run("hook", "test", "plugin")
    assert code == 1 and "HTTP 404" in err
    assert "whsec_abc" not in run.log.read_text() if run.log.exists() else True


def test_outbox_lists_json_and_cancels(run):
    run("hook", "add", "plugin", "--url", "http://127.0.0.1:9/hook")
    run("demo")
    code, out, _ = run("outbox", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and rows and {row["status"] for row in rows} == {"pending"}
    assert all("payload" not in row or row["payload"] == {} for row in rows)
    code, out, _ = run("outbox", "cancel", str(rows[0]["id"]))
    assert code == 0 and "cancelled" in out
    code, out, _ = run("outbox")
    assert "cancelled" in out and "ID" in out
    code, out, _ = run("outbox", "--failed")
    assert code == 0 and "no failed messages" in out
