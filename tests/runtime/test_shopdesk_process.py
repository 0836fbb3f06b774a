"""`shopdesk` as a process in a pseudo-terminal: it serves the API, a second one attaches instead of
failing on the busy port, SIGTERM and SIGHUP end it cleanly with the store closed."""

from __future__ import annotations

import fcntl
import http.server
import json
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from ports import free_port
from waiting import scaled

from shopdesk import cli


class Terminal:
    """A shopdesk process on a pty of 80x24, its output drained so it never blocks."""

    def __init__(self, tmp_path: Path, name: str, config: Path, db: Path | None, *args: str,
                 **extra_env: str) -> None:
        self.log = tmp_path / f"{name}.log"
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        env = dict(os.environ, SHOPDESK_LOG=str(self.log),
                   SHOPDESK_CONFIG=str(config), TERM="xterm-256color", LANG="C.UTF-8", **extra_env)
        env.pop("TEXTUAL", None)
        env.pop("SHOPDESK_DB", None)
        if db is not None:
            env["SHOPDESK_DB"] = str(db)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "shopdesk", *args],
            stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
        )
        os.close(slave)
        self.master = master
        self.output = bytearray()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.output.extend(chunk)

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8") if self.log.exists() else ""

    def wait_for_log(self, text: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + scaled(timeout)
        while text not in self.log_text():
            if self.process.poll() is not None:
                raise AssertionError(f"exited {self.process.returncode} before {text!r}:\n"
                                     f"{self.log_text()}\n{bytes(self.output)[-2000:]!r}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} in the log:\n{self.log_text()}")
            time.sleep(0.05)

    def wait_for_screen(self, text: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + scaled(timeout)
        while text.encode() not in self.output:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never shown")
            time.sleep(0.05)

    def stop(self, signum: int, timeout: float = 20.0) -> int:
        self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self.close()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        try:
            os.close(self.master)
        except OSError:
            pass


@pytest.fixture
def desk(tmp_path):
    port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(f'shop_name = "Teahouse"\n[api]\nport = {port}\n', encoding="utf-8")
    db = tmp_path / "desk.db"
    terminals: list[Terminal] = []

    def start(name: str, *args: str, db_path: Path = db) -> Terminal:
        if not db_path.exists():  # `shopdesk` opens existing stores only (`init` creates one)
            assert cli.main(["--db", str(db_path), "init"]) == 0
        terminal = Terminal(tmp_path, name, config, db_path, *args)
        terminals.append(terminal)
        return terminal

    start.port = port  # type: ignore[attr-defined]
    start.db = db  # type: ignore[attr-defined]
    yield start
    for terminal in terminals:
        terminal.close()


def health(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        return json.loads(response.read())


def test_sigterm_ends_cleanly_with_the_api_drained_and_the_store_closed(desk):
    first = desk("first")
    first.wait_for_log("on http://")
    first.wait_for_screen("Teahouse")
    answer = health(desk.port)
    assert answer["pid"] == first.process.pid
    assert Path(answer["store"]) == desk.db.resolve()
    assert first.stop(signal.SIGTERM) == 0
    log = first.log_text()
    assert "received SIGTERM" in log and "API stopped" in log and "store" in log
    assert log.rstrip().endswith("closed")
    # closing the last connection checkpoints and removes the write-ahead log
    assert not Path(f"{desk.db}-wal").exists()
    with pytest.raises(OSError):
        health(desk.port)


def test_a_second_shopdesk_attaches_to_the_first_ones_api_and_sighup_ends_it(desk):
    first = desk("first")
    first.wait_for_log("on http://")
    second = desk("second")
    second.wait_for_log("attaching")
    second.wait_for_screen(f"API: pid {first.process.pid}")
    assert second.stop(signal.SIGHUP) == 0
    assert "received SIGHUP" in second.log_text()
    assert health(desk.port)["pid"] == first.process.pid  # the first one still serves
    assert first.stop(signal.SIGTERM) == 0


def test_when_the_serving_shopdesk_leaves_an_attached_one_takes_over_the_api(desk):
    first = desk("first")
    first.wait_for_log("on http://")
    second = desk("second")
    second.wait_for_log("attaching")
    assert first.stop(signal.SIGTERM) == 0
    second.wait_for_log("now serving", timeout=15)
    assert health(desk.port)["pid"] == second.process.pid
    second.wait_for_screen(f"API 127.0.0.1:{desk.port}")
    assert second.stop(signal.SIGTERM) == 0
    assert "API stopped" in second.log_text()


def test_a_port_held_by_something_else_runs_without_the_api(desk, tmp_path):
    class NotShopdesk(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", desk.port), NotShopdesk)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        terminal = desk("lonely")
        terminal.wait_for_log("running without the API")
        terminal.wait_for_screen("something else")  # the toast may wrap the line
        assert terminal.stop(signal.SIGTERM) == 0
    finally:
        server.shutdown()
        server.server_close()


def test_another_store_on_the_port_is_not_attached_to(desk, tmp_path):
    first = desk("first")
    first.wait_for_log("on http://")
    other = desk("other", db_path=tmp_path / "other.db")
    other.wait_for_log("running without the API")
    other.wait_for_screen(f"pid {first.process.pid}")  # whose the port is, not "something else"
    assert other.stop(signal.SIGTERM) == 0
    assert first.stop(signal.SIGTERM) == 0


def test_no_api_flag_and_chinese(desk):
    terminal = desk("quiet", "--no-api", "--lang", "zh")
    terminal.wait_for_log("starting shopdesk")
    terminal.wait_for_screen("未结")
    with pytest.raises(OSError):
        health(desk.port)
    assert terminal.stop(signal.SIGTERM) == 0


def test_bad_lang_is_one_line_and_exit_2(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "shopdesk", "--lang", "fr"], capture_output=True, text=True,
        env=dict(os.environ, SHOPDESK_DB=str(tmp_path / "x.db"), SHOPDESK_LOG=str(tmp_path / "l")),
        timeout=30, check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "shopdesk: --lang must be en or zh, not 'fr'"
    assert not (tmp_path / "x.db").exists()


def test_a_mistyped_db_is_refused_not_created(tmp_path):
    for command in ([], ["serve"]):
        result = subprocess.run(
            [sys.executable, "-m", "shopdesk", "--db", str(tmp_path / "tpyo.db"), *command],
            capture_output=True, text=True, timeout=30, check=False,
            env=dict(os.environ, SHOPDESK_LOG=str(tmp_path / "l"),
                     SHOPDESK_CONFIG=str(tmp_path / "none.toml")),
        )
        assert result.returncode == 2
        assert result.stderr == (f"shopdesk: no store at {tmp_path / 'tpyo.db'} (run `shopdesk "
                                 f"--db {tmp_path / 'tpyo.db'} init` to create an empty store, "
                                 f"`shopdesk --db {tmp_path / 'tpyo.db'} demo` for a demo store, "
                                 "or pass --db PATH)\n")
        assert not (tmp_path / "tpyo.db").exists()


def test_first_run_creates_the_default_store_and_says_so(tmp_path):
    """No --db, no $SHOPDESK_DB, nothing in the user data dir yet: the desk starts on a new store
    there and tells the operator so."""
    config = tmp_path / "config.toml"
    config.write_text(f"[api]\nport = {free_port()}\n", encoding="utf-8")
    data = tmp_path / "data"
    terminal = Terminal(tmp_path, "first-run", config, None, XDG_DATA_HOME=str(data))
    try:
        terminal.wait_for_log("created a new empty store")
        terminal.wait_for_screen("New empty store", timeout=20)
        assert (data / "shopdesk" / "shopdesk.db").exists()
        assert terminal.stop(signal.SIGTERM) == 0
    finally:
        terminal.close()
