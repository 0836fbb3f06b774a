"""Opening a store: schema, pragmas, transactions, migrations, and files that are not ours."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from shopdesk.domain.errors import ShopdeskError, StoreVersionError
from shopdesk.store import cases as case_rows
from shopdesk.store import migrations, open_store

V1_FIXTURE = Path(__file__).parents[1] / "data" / "store_v1.sql"

REQUIRED_TABLES = {
    "orders", "order_events", "cases", "case_events", "sla_pauses", "remedies", "contacts",
    "surveys", "incidents", "incident_cases", "sources", "deliveries", "tokens",
}


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def user_version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA user_version").fetchone()[0]


def case_columns(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[1] for row in conn.execute("PRAGMA table_info(cases)")}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_v1_store(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(V1_FIXTURE.read_text(encoding="utf-8"))
    conn.close()


async def test_a_new_store_gets_the_whole_schema_and_the_current_version(tmp_path):
    path = tmp_path / "new.db"
    async with open_store(path):
        pass
    assert REQUIRED_TABLES <= tables(path)
    assert user_version(path) == migrations.SCHEMA_VERSION
    assert "joint_department" in case_columns(path)


async def test_opening_twice_changes_nothing(tmp_path):
    path = tmp_path / "twice.db"
    async with open_store(path):
        pass
    before = tables(path)
    async with open_store(path):
        pass
    assert tables(path) == before
    assert user_version(path) == migrations.SCHEMA_VERSION


async def pragma(conn, name: str):
    async with conn.execute(f"PRAGMA {name}") as cursor:
        return (await cursor.fetchone())[0]


async def test_pragmas_wal_foreign_keys_busy_timeout(tmp_path):
    async with open_store(tmp_path / "p.db") as store:
        async with store.transaction() as writer:
            assert (await pragma(writer, "journal_mode")).lower() == "wal"
            assert await pragma(writer, "foreign_keys") == 1
            assert await pragma(writer, "busy_timeout") >= 5000
        reader = store.reader
        assert (await pragma(reader, "journal_mode")).lower() == "wal"
        assert await pragma(reader, "foreign_keys") == 1
        assert await pragma(reader, "busy_timeout") >= 5000
        assert await pragma(reader, "query_only") == 1


async def test_foreign_keys_are_enforced_and_a_failed_write_rolls_back(tmp_path):
    async with open_store(tmp_path / "fk.db") as store:
        with pytest.raises(sqlite3.IntegrityError):
            async with store.transaction() as conn:
                await conn.execute(
                    "INSERT INTO incidents (title, type, level, started_at, created_at) "
                    "VALUES ('kept?', 'other', 1, 'x', 'x')"
                )
                await conn.execute(
                    "INSERT INTO case_events (case_id, at, actor, type) VALUES (999, 'x', 'x', 'note')"
                )
        async with store.reader.execute("SELECT count(*) FROM incidents") as cursor:
            assert (await cursor.fetchone())[0] == 0  # the first insert was rolled back too
        # and the writer is usable again
        async with store.transaction() as conn:
            await conn.execute(
                "INSERT INTO incidents (title, type, level, started_at, created_at) "
                "VALUES ('kept', 'other', 1, 'x', 'x')"
            )
        async with store.reader.execute("SELECT count(*) FROM incidents") as cursor:
            assert (await cursor.fetchone())[0] == 1


async def test_the_reader_cannot_write(tmp_path):
    async with open_store(tmp_path / "ro.db") as store:
        with pytest.raises(sqlite3.OperationalError):
            await store.reader.execute(
                "INSERT INTO incidents (title, type, level, started_at, created_at) "
                "VALUES ('no', 'other', 1, 'x', 'x')"
            )


# --- migrations ------------------------------------------------------------------------------------


def test_the_v1_fixture_really_is_the_old_shape(tmp_path):
    path = tmp_path / "v1.db"
    make_v1_store(path)
    assert user_version(path) == 1
    assert "joint_department" not in case_columns(path)
    assert "sla_pauses" not in tables(path)


async def test_an_older_store_is_upgraded_and_keeps_its_rows(tmp_path):
    path = tmp_path / "v1.db"
    make_v1_store(path)
    async with open_store(path) as store:
        case = await case_rows.get_case(store.reader, "C-000001")
        assert case is not None
        assert (case.kind, case.level, case.urgent, case.status, case.version) == ("lost", 2, True, "open", 3)
        assert case.customer.name == "张伟"
        assert case.order_number == "#1001"
        assert case.joint_department is None
        assert await case_rows.list_pauses(store.reader, case.id) == []
        events = await case_rows.list_events(store.reader, case.id)
        assert [event.type for event in events] == ["opened"]
        # the new column and table work
        async with store.transaction() as conn:
            await case_rows.open_pause(conn, case.id, case.opened_at)
        assert len(await case_rows.list_pauses(store.reader, case.id)) == 1
    assert user_version(path) == migrations.SCHEMA_VERSION >= 2
    assert "joint_department" in case_columns(path)
    assert "request_hash" in case_columns(path)  # v5: the Idempotency-Key's request
    assert "reopened_at" in case_columns(path)  # v7: the resolution clock after a reopen
    assert "store_meta" in tables(path)  # v7: the SLA fingerprint of the stored due times
    assert "sla_pauses" in tables(path)
    assert "order_events_delivery" in indexes(path, "order_events")  # v9


def indexes(path: Path, table: str) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[1] for row in conn.execute(f"PRAGMA index_list({table})")}


async def test_removing_a_source_finds_the_events_of_its_deliveries_by_index(tmp_path):
    """Each deleted delivery checks the order events that point at it (foreign key): without an
    index on order_events.delivery_id that was a scan of every event per delivery, and removing a
    busy source held the store's write lock for minutes."""
    path = tmp_path / "s.db"
    async with open_store(path):
        pass
    assert "order_events_delivery" in indexes(path, "order_events")
    with sqlite3.connect(path) as conn:
        plan = conn.execute("EXPLAIN QUERY PLAN SELECT 1 FROM order_events WHERE delivery_id = 1")
        assert "USING COVERING INDEX order_events_delivery" in str(plan.fetchall())


def undo_version_11(conn: sqlite3.Connection) -> None:
    """A current store back to the shape of version 10 (11: hooks, the outbox, who answered a
    survey)."""
    conn.execute("DROP TABLE outbox")
    conn.execute("DROP TABLE hooks")
    conn.execute("ALTER TABLE surveys DROP COLUMN answered_by")


def undo_version_10(conn: sqlite3.Connection) -> None:
    """A current store back to the shape of version 9 (10: detection's columns and tables)."""
    for index in ("cases_live_rule", "orders_check", "orders_customer_phone"):
        conn.execute(f"DROP INDEX {index}")
    for table, column in (("cases", "rule"), ("cases", "rule_subject"), ("cases", "rule_evidence"),
                          ("cases", "cleared_at"), ("orders", "note"), ("orders", "check_at")):
        conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    conn.execute("DROP TABLE stock")


async def test_a_v6_store_learns_when_its_cases_were_last_reopened(tmp_path):
    from datetime import UTC, datetime

    from shopdesk.services import Services

    path = tmp_path / "v6.db"
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    async with open_store(path) as store:
        services = Services(store, clock=lambda: now)
        boss = services.actor("boss")
        case, _ = await services.cases.open(boss, kind="lost")
        await services.cases.triage(boss, case.ref)
        await services.cases.resolve(boss, case.ref, "found")
        await services.cases.reopen(boss, case.ref, "lost again")
        other, _ = await services.cases.open(boss, kind="damaged")
    with sqlite3.connect(path) as conn:  # the shape of version 6 (6: orders.changed_at, landed first)
        undo_version_11(conn)
        undo_version_10(conn)
        conn.execute("ALTER TABLE cases DROP COLUMN reopened_at")
        conn.execute("DROP TABLE store_meta")
        conn.execute("PRAGMA user_version = 6")
    async with open_store(path) as store:
        assert (await case_rows.get_case(store.reader, case.ref)).reopened_at == now
        assert (await case_rows.get_case(store.reader, other.ref)).reopened_at is None
    assert user_version(path) == migrations.SCHEMA_VERSION >= 7


async def test_a_failing_upgrade_leaves_the_older_store_as_it_was(tmp_path, monkeypatch):
    path = tmp_path / "v1.db"
    make_v1_store(path)
    broken = [*migrations.STEPS[2], "ALTER TABLE no_such_table ADD COLUMN x TEXT"]
    monkeypatch.setitem(migrations.STEPS, 2, broken)
    with pytest.raises(ShopdeskError):
        async with open_store(path):
            pass
    # one transaction: the first steps (the new column, the new table) were rolled back too
    assert user_version(path) == 1
    assert "joint_department" not in case_columns(path)
    assert "sla_pauses" not in tables(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT ref FROM cases").fetchall() == [("C-000001",)]


async def test_a_newer_store_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE cases (id INTEGER PRIMARY KEY, hovercraft TEXT)")
    conn.execute("INSERT INTO cases (hovercraft) VALUES ('full of eels')")
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    before = digest(path)
    with pytest.raises(StoreVersionError) as caught:
        async with open_store(path):
            pass
    message = caught.value.detail
    assert "version 99" in message and "newer shopdesk" in message and str(path) in message
    assert digest(path) == before  # not a byte changed (not even the journal mode)
    assert user_version(path) == 99
    assert tables(path) == {"cases"}
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT hovercraft FROM cases").fetchall() == [("full of eels",)]


async def test_a_file_that_is_not_sqlite_is_refused_and_left_as_it_was(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("shopping list: tea, more tea\n" * 200, encoding="utf-8")
    before = digest(path)
    with pytest.raises(ShopdeskError) as caught:
        async with open_store(path):
            pass
    assert str(path) in caught.value.detail
    assert "not a shopdesk store" in caught.value.detail or "cannot open" in caught.value.detail
    assert digest(path) == before


async def test_a_store_whose_file_was_moved_away_refuses_writes_until_it_is_back(
        tmp_path):
    """QA3 Q2: a write after the store's file was deleted or moved would go to a file nobody
    opens again: refused, naming the store; once the file is back, writes go on."""
    from shopdesk.domain.errors import StoreUnavailable

    path = tmp_path / "s.db"
    async with open_store(path) as store:
        path.rename(tmp_path / "elsewhere.db")
        with pytest.raises(StoreUnavailable) as caught:
            async with store.transaction() as conn:
                await conn.execute("INSERT INTO store_meta (key, value) VALUES ('k', 'v')")
        assert caught.value.field == "store" and "deleted or moved" in str(caught.value)
        (tmp_path / "elsewhere.db").rename(path)
        async with store.transaction() as conn:
            await conn.execute("INSERT INTO store_meta (key, value) VALUES ('k', 'v')")


async def test_a_v10_store_gains_the_outbox_and_keeps_its_surveys_as_operators(tmp_path):
    from datetime import UTC, datetime

    from shopdesk.services import Services
    from shopdesk.store import followups

    path = tmp_path / "v10.db"
    async with open_store(path) as store:
        services = Services(store, clock=lambda: datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
        boss = services.actor("boss")
        case, _ = await services.cases.open(boss, kind="lost")
        await services.cases.triage(boss, case.ref)
        await services.cases.resolve(boss, case.ref, "found")
        await services.cases.record_survey(boss, case.ref, 4)
    with sqlite3.connect(path) as conn:
        undo_version_11(conn)
        conn.execute("PRAGMA user_version = 10")
    async with open_store(path) as store:
        survey = await followups.get_survey(store.reader, case.id)
        assert (survey.score, survey.answered_by) == (4, "operator")
        services = Services(store)
        await services.outbound.add_hook(services.actor("boss"), "plugin", "http://h.example/")
        assert [hook.name for hook in await services.outbound.hooks()] == ["plugin"]
    assert user_version(path) == migrations.SCHEMA_VERSION
