"""The service wins (QA N14): `shopdesk serve` on a store whose API a terminal UI serves asks that
TUI for the API, the TUI drains its requests and attaches ("API: pid N"), the service serves; when
the service stops the TUI serves again, and the next `shopdesk serve` takes it back. A burst of
webhooks during the handover loses nothing answered 2xx. Real processes, ports from the OS."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from waiting import scaled, wait_until
from test_shopdesk_process import desk, free_port, health  # noqa: F401  (desk is a fixture)

from shopdesk import cli

SECRET = "whsec_handover_test_secret_0123456789"


def refusals(errors: list[str]) -> list[str]:
    """stderr without the notices of shop keys in the personal config (the fixture's shop_name
    and [api] port: used until `shopdesk config import` moves them into the store)."""
    return [line for line in errors if "belongs in the store" not in line]


class Service:
    """`shopdesk serve` as a process, its stdout and stderr collected."""

    def __init__(self, tmp_path: Path, config: Path, db: Path, port: int, name: str = "serve"):
        self.log = tmp_path / f"{name}.log"
        env = dict(os.environ, SHOPDESK_LOG=str(self.log), SHOPDESK_CONFIG=str(config))
        env.pop("SHOPDESK_DB", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "shopdesk", "--db", str(db), "serve", "--port", str(port)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self.errors: list[str] = []
        self.readers = [
            threading.Thread(target=self._read, args=(stream, into), daemon=True)
            for stream, into in ((self.process.stdout, self.lines),
                                 (self.process.stderr, self.errors))
        ]
        for reader in self.readers:
            reader.start()

    @staticmethod
    def _read(stream, into: list[str]) -> None:
        for line in stream:
            into.append(line.rstrip("\n"))

    def wait_for_line(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + scaled(timeout)
        while True:
            for line in self.lines:
                if text in line:
                    return line
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.drained()
                raise AssertionError(f"no {text!r}: exit {self.process.poll()}, stdout "
                                     f"{self.lines}, stderr {self.errors}")
            time.sleep(0.05)

    def drained(self) -> None:
        """After the process ended: wait until its stdout and stderr are read to their end."""
        for reader in self.readers:
            reader.join(timeout=scaled(10))

    def exit_code(self, timeout: float = 20.0) -> int:
        """Wait for the process to end on its own; its output is read to the end."""
        code = self.process.wait(timeout=scaled(timeout))
        self.drained()
        return code

    def stop(self, timeout: float = 20.0) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self.close()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def service(desk, tmp_path):  # noqa: F811
    started: list[Service] = []

    def start(name: str = "serve") -> Service:
        one = Service(tmp_path, tmp_path / "config.toml", desk.db, desk.port, name)
        started.append(one)
        return one

    yield start
    for one in started:
        one.close()


def test_serve_takes_the_api_from_a_serving_tui_which_attaches_and_serves_again_later(
        desk, service):  # noqa: F811
    tui = desk("tui")
    tui.wait_for_log("on http://")
    assert health(desk.port)["pid"] == tui.process.pid
    assert health(desk.port)["role"] == "tui"

    first = service("serve1")
    asking = first.wait_for_line("asking it to hand the API over")
    assert f"pid {tui.process.pid}" in asking and "up to 10 s" in asking
    first.wait_for_line("serving ")
    answer = health(desk.port)
    assert (answer["pid"], answer["role"]) == (first.process.pid, "serve")
    tui.wait_for_log(f"attached to shopdesk serve (pid {first.process.pid})")
    tui.wait_for_screen(f"API: pid {first.process.pid}")
    tui.wait_for_screen("took over")  # the notification

    # the service stops (a restart, a crash): the TUI serves until the service is back …
    assert first.stop() == 0
    tui.wait_for_log("now serving", timeout=15)
    assert health(desk.port)["pid"] == tui.process.pid
    # … and the service, back, takes the API again: TUIs never keep it from a serve
    second = service("serve2")
    second.wait_for_line("serving ")
    assert health(desk.port)["pid"] == second.process.pid
    tui.wait_for_log(f"attached to shopdesk serve (pid {second.process.pid})")
    assert tui.process.poll() is None  # the desk stays open all along

    # an attached TUI quitting leaves the service alone
    assert tui.stop(signal.SIGTERM) == 0
    assert health(desk.port)["pid"] == second.process.pid
    assert second.stop() == 0
    with sqlite3.connect(desk.db) as db:  # the request is cleared once served
        assert db.execute("SELECT count(*) FROM store_meta WHERE key = 'api_handover'"
                          ).fetchone() == (0,)


def test_a_tui_opened_while_serve_runs_attaches_and_a_second_serve_is_refused(
        desk, service):  # noqa: F811
    cli.main(["--db", str(desk.db), "init"])
    running = service("serve1")
    running.wait_for_line("serving ")
    tui = desk("tui")
    tui.wait_for_screen(f"API: pid {running.process.pid}")
    other = service("serve2")
    assert other.exit_code() == 2
    assert refusals(other.errors) == [(
        f"shopdesk: shopdesk serve (pid {running.process.pid}) already serves {desk.db} on "
        f"127.0.0.1:{desk.port}; stop it first (one service per store)")]
    assert health(desk.port)["pid"] == running.process.pid
    assert tui.process.poll() is None
    assert tui.stop(signal.SIGTERM) == 0
    assert running.stop() == 0


def test_serve_on_a_port_of_another_store_says_whose_it_is(desk, service, tmp_path):  # noqa: F811
    tui = desk("other", db_path=tmp_path / "other.db")
    tui.wait_for_log("on http://")
    cli.main(["--db", str(desk.db), "init"])
    refused = service()
    assert refused.exit_code() == 2
    assert refusals(refused.errors) == [(
        f"shopdesk: port {desk.port} on 127.0.0.1 is in use by shopdesk pid {tui.process.pid} "
        f"serving another store ({(tmp_path / 'other.db').resolve()}); choose another with --port")]
    assert health(desk.port)["pid"] == tui.process.pid  # untouched
    assert tui.stop(signal.SIGTERM) == 0


def _event(n: int) -> bytes:
    return json.dumps({
        "id": f"evt-{n}", "type": "paid", "occurred_at": "2026-11-23T10:00:00+08:00",
        "order": {"id": f"o{n}", "number": f"SO-{n}", "total": "59.80", "paid": "59.80",
                  "currency": "CNY", "status": "paid"},
    }).encode()


def _post(port: int, n: int) -> int | None:
    """The status of one signed delivery, or None when the connection was refused or cut."""
    body = _event(n)
    stamp = str(int(time.time()))
    v1 = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        connection.request("POST", "/webhooks/myshop", body=body, headers={
            "Content-Type": "application/json", "Shopdesk-Signature": f"t={stamp},v1={v1}"})
        return connection.getresponse().status
    except OSError:
        return None
    finally:
        connection.close()


def test_a_webhook_burst_during_the_handover_loses_nothing_answered_2xx(desk, service):  # noqa: F811
    cli.main(["--db", str(desk.db), "init"])
    assert cli.main(["--db", str(desk.db), "source", "add", "myshop", "--kind", "generic",
                     "--secret", SECRET]) == 0
    tui = desk("tui")
    tui.wait_for_log("on http://")
    answered: dict[int, int | None] = {}
    counter = iter(range(1_000_000))
    lock = threading.Lock()
    stop = threading.Event()

    def send() -> None:
        while not stop.is_set():
            with lock:
                n = next(counter)
            answered[n] = _post(desk.port, n)

    senders = [threading.Thread(target=send, daemon=True) for _ in range(8)]
    for sender in senders:
        sender.start()
    wait_until(lambda: len(answered) >= 50, what="50 webhooks answered by the TUI")
    before = len(answered)
    taking = service()
    taking.wait_for_line("serving ")
    served = len(answered)
    wait_until(lambda: len(answered) >= served + 50, what="50 webhooks answered after the handover")
    stop.set()
    for sender in senders:
        sender.join(timeout=30)
    tui.wait_for_log(f"attached to shopdesk serve (pid {taking.process.pid})")
    assert taking.stop() == 0
    assert tui.stop(signal.SIGTERM) == 0

    ok = {n for n, status in answered.items() if status is not None and 200 <= status < 300}
    refused = [n for n, status in answered.items() if status is None]
    other = {status for status in answered.values() if status is not None} - {200, 202}
    assert not other, other
    assert before > 10
    assert len(refused) < len(answered) / 2  # the port was free only for a moment
    with sqlite3.connect(desk.db) as db:
        stored = {row[0] for row in db.execute("SELECT external_id FROM orders")}
    assert {f"o{n}" for n in ok} <= stored  # every 2xx delivery is in the store
    # both served part of the burst: the TUI until it handed over, the service after
    tui_log = tui.log_text()
    assert "intake wrote" in tui_log[:tui_log.index("attached to shopdesk serve")]
    assert "intake wrote" in taking.log.read_text(encoding="utf-8")


def test_a_service_killed_and_restarted_at_once_is_shown_as_the_new_pid(desk, service):  # noqa: F811
    cli.main(["--db", str(desk.db), "init"])
    first = service("serve1")
    first.wait_for_line("serving ")
    tui = desk("tui")
    tui.wait_for_screen(f"API: pid {first.process.pid}")
    first.process.kill()  # kill -9, and the service manager starts it again at once
    first.process.wait()
    second = service("serve2")
    second.wait_for_line("serving ")
    # whether the desk took the port over meanwhile (and handed it back) or not, it names the
    # process that serves now
    tui.wait_for_screen(f"API: pid {second.process.pid}", timeout=15)
    assert health(desk.port)["pid"] == second.process.pid
    assert tui.stop(signal.SIGTERM) == 0
    assert second.stop() == 0


def test_a_service_on_another_port_than_the_tuis_is_found_through_the_store(
        desk, tmp_path):  # noqa: F811
    """QA3 Q3: `shopdesk serve --port P` (systemd flags) and desks configured for another port
    still make one API per store: the TUI attaches to the service wherever it listens, hands the
    API over to a service started on another port, and serves again on its own once the service
    is gone."""
    elsewhere = free_port()
    tui = desk("tui")
    tui.wait_for_log("on http://")
    assert health(desk.port)["pid"] == tui.process.pid

    first = Service(tmp_path, tmp_path / "config.toml", desk.db, elsewhere, "serve1")
    try:
        first.wait_for_line("asking it to hand the API over")
        first.wait_for_line("serving ")
        tui.wait_for_screen(f"API: pid {first.process.pid}")
        time.sleep(3)  # the TUI's watch goes round: it stays attached, its own port stays free
        assert free_port_is(desk.port)
        answer = health(elsewhere)
        assert (answer["pid"], answer["role"]) == (first.process.pid, "serve")

        second_desk = desk("tui2")  # opened while the service runs on the other port
        second_desk.wait_for_screen(f"API: pid {first.process.pid}")
        assert free_port_is(desk.port)
        assert second_desk.stop(signal.SIGTERM) == 0

        assert first.stop() == 0  # the service leaves: the desk serves on its own port again
        tui.wait_for_log("now serving", timeout=15)
        assert health(desk.port)["pid"] == tui.process.pid
    finally:
        first.close()
    assert tui.stop(signal.SIGTERM) == 0


def free_port_is(port: int) -> bool:
    """Nobody listens on the port (a connection is refused)."""
    import socket

    with socket.socket() as probe:
        try:
            probe.connect(("127.0.0.1", port))
        except ConnectionRefusedError:
            return True
    return False
