"""`shopdesk backup` and `shopdesk restore` as a user runs them: what they say, the refusals (one
line, exit 2) and what is left on disk."""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from ports import free_port
from waiting import scaled

from shopdesk.cli import main
from shopdesk.store import migrations


@pytest.fixture
def env(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("SHOPDESK_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("SHOPDESK_LOG", str(tmp_path / "shopdesk.log"))
    monkeypatch.delenv("SHOPDESK_DB", raising=False)
    return tmp_path


@pytest.fixture
def store(env) -> Path:
    path = env / "shop.db"
    assert main(["--db", str(path), "demo", "--cases", "30"]) == 0
    return path


def refused(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err.removeprefix("shopdesk: ").rstrip("\n")


def cases_in(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM cases").fetchone()[0]


def test_backup_writes_a_checked_copy_and_says_where(store, capsys):
    capsys.readouterr()
    assert main(["--db", str(store), "backup", str(store.parent / "copy.db")]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"backed up {store} to {store.parent / 'copy.db'} (")
    assert out.rstrip().endswith(", checked)")
    assert cases_in(store.parent / "copy.db") == cases_in(store) == 30  # the demo's cases


def test_backup_without_a_path_names_the_copy_for_the_store_and_the_time(store, capsys):
    capsys.readouterr()
    assert main(["--db", str(store), "backup"]) == 0
    copies = list(store.parent.glob("shop-*.db"))
    assert len(copies) == 1 and copies[0].name[5:].removesuffix(".db").replace("-", "").isdigit()
    assert str(copies[0]) in capsys.readouterr().out


def test_backup_to_an_existing_path_is_refused_without_force(store, capsys):
    target = store.parent / "copy.db"
    target.write_bytes(b"last week's backup")
    assert refused(capsys, ["--db", str(store), "backup", str(target)]) == (
        f"{target} exists; choose another name or add --force to replace it")
    assert target.read_bytes() == b"last week's backup"
    assert main(["--db", str(store), "backup", str(target), "--force"]) == 0
    assert cases_in(target) == cases_in(store)


@pytest.mark.parametrize("where", ["directory", "no directory", "the store"])
def test_backup_to_a_path_that_cannot_be_one_is_refused(store, capsys, where):
    target = {"directory": store.parent, "no directory": store.parent / "gone" / "x.db",
              "the store": store}[where]
    message = refused(capsys, ["--db", str(store), "backup", str(target), "--force"])
    assert str(target) in message
    assert not list(store.parent.glob("*.part"))


def test_backup_of_a_store_that_does_not_exist_is_refused(env, capsys):
    assert "no store at" in refused(capsys, ["--db", str(env / "none.db"), "backup"])
    assert not (env / "none.db").exists()


def test_a_full_disk_leaves_no_partial_file_under_the_name(store, tmp_path):
    """The backup process may write no file larger than 64 KB (as a full disk would stop it):
    a clear error, exit 2, and neither the copy nor its temporary file is left."""
    target = tmp_path / "copy.db"
    assert store.stat().st_size > 256 * 1024

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails (EFBIG) instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    result = subprocess.run(
        [sys.executable, "-m", "shopdesk", "--db", str(store), "backup", str(target)],
        capture_output=True, text=True, timeout=scaled(120), preexec_fn=small_files,
        env=dict(os.environ))
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"shopdesk: cannot write {target}: ")
    assert result.stderr.count("\n") == 1
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".copy.db")] == []


def test_restore_puts_the_backup_in_place_and_keeps_the_store_aside(store, capsys):
    copy = store.parent / "copy.db"
    assert main(["--db", str(store), "backup", str(copy)]) == 0
    count = cases_in(store)
    assert main(["--db", str(store), "cases", "open", "--kind", "lost", "--title", "after"]) == 0
    capsys.readouterr()
    assert main(["--db", str(store), "restore", str(copy)]) == 0
    out = capsys.readouterr().out
    aside = next(store.parent.glob("shop.db.replaced-*"))
    assert out == (f"restored {store} from {copy} (version {migrations.SCHEMA_VERSION}, {count} "
                   f"cases); the store it replaced is kept as {aside}\n")
    assert cases_in(store) == count and cases_in(aside) == count + 1


def test_restore_of_an_older_store_says_it_will_be_upgraded(env, capsys):
    old = env / "old.db"
    with sqlite3.connect(old) as conn:
        conn.executescript((Path(__file__).parent / "data" / "store_v1.sql").read_text())
    version = sqlite3.connect(old).execute("PRAGMA user_version").fetchone()[0]
    assert main(["--db", str(env / "shop.db"), "restore", str(old)]) == 0
    out = capsys.readouterr().out
    assert f"(version {version}" in out and "upgraded when shopdesk next opens it" in out
    assert main(["--db", str(env / "shop.db"), "cases", "list"]) == 0


@pytest.mark.parametrize("bad", ["text", "other sqlite", "newer", "missing"])
def test_restore_of_what_is_no_backup_is_refused_naming_why(store, capsys, bad):
    path = store.parent / "bad.db"
    if bad == "text":
        path.write_text("not a database at all\n" * 100)
        why = f"{path} is not a shopdesk store: file is not a database"
    elif bad == "other sqlite":
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE photos (name TEXT)")
        why = f"{path} is not a shopdesk store: an SQLite file without shopdesk's tables"
    elif bad == "newer":
        assert main(["--db", str(store), "backup", str(path)]) == 0
        with sqlite3.connect(path) as conn:
            conn.execute(f"PRAGMA user_version = {migrations.SCHEMA_VERSION + 1}")
        why = (f"{path} is a version {migrations.SCHEMA_VERSION + 1} store, written by a newer "
               f"shopdesk; this shopdesk reads up to version {migrations.SCHEMA_VERSION}: "
               "upgrade shopdesk first")
    else:
        why = f"no file {path}"
    before = store.read_bytes()
    assert refused(capsys, ["--db", str(store), "restore", str(path)]) == why
    assert store.read_bytes() == before
    assert not list(store.parent.glob("*.replaced-*"))


def test_restore_is_refused_while_shopdesk_serve_runs(store, tmp_path):
    copy = tmp_path / "copy.db"
    assert main(["--db", str(store), "backup", str(copy)]) == 0
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "shopdesk", "--db", str(store), "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        assert server.stdout.readline().startswith("serving ")
        result = subprocess.run(
            [sys.executable, "-m", "shopdesk", "--db", str(store), "restore", str(copy)],
            capture_output=True, text=True, timeout=scaled(60), env=dict(os.environ))
        assert result.returncode == 2
        assert result.stderr == (
            f"shopdesk: shopdesk serve (pid {server.pid}) on 127.0.0.1:{port} serves {store}: "
            "stop it first, then restore (nothing was changed)\n")
        assert not list(tmp_path.glob("*.replaced-*"))
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=scaled(30))
    assert server.returncode == 0
    result = subprocess.run(
        [sys.executable, "-m", "shopdesk", "--db", str(store), "restore", str(copy)],
        capture_output=True, text=True, timeout=scaled(60), env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"restored {store} from {copy}")
