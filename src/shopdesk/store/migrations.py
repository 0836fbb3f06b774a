"""Versioned migrations (PRAGMA user_version).

A new store gets `schema.sql` whole and the current version. An older store gets each step after its
version, all in one transaction: if any step fails, the file is left as it was. A newer store is
refused, since this shopdesk does not know its tables.
"""

from __future__ import annotations

import sqlite3
from importlib import resources
from pathlib import Path

SCHEMA_VERSION = 14

# version reached -> statements that bring a store from the version before up to it.
STEPS: dict[int, list[str]] = {
    2: [
        "ALTER TABLE cases ADD COLUMN joint_department TEXT",
        """CREATE TABLE IF NOT EXISTS sla_pauses (
            id INTEGER PRIMARY KEY,
            case_id INTEGER NOT NULL REFERENCES cases (id),
            started_at TEXT NOT NULL,
            ended_at TEXT
        )""",
        "CREATE INDEX IF NOT EXISTS sla_pauses_case ON sla_pauses (case_id)",
    ],
    3: [
        "CREATE INDEX IF NOT EXISTS cases_resolved ON cases (resolved_at)",
    ],
    4: [
        "CREATE INDEX IF NOT EXISTS cases_active_order ON cases (status, urgent, level, due_at)",
    ],
    5: [
        "ALTER TABLE cases ADD COLUMN request_hash TEXT",
    ],
    6: [
        "ALTER TABLE orders ADD COLUMN changed_at TEXT",
    ],
    7: [
        "ALTER TABLE cases ADD COLUMN reopened_at TEXT",
        """UPDATE cases SET reopened_at = (
            SELECT max(e.at) FROM case_events AS e WHERE e.case_id = cases.id AND e.type = 'reopened'
        )""",
        """CREATE TABLE IF NOT EXISTS store_meta (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )""",
    ],
    8: [
        """CREATE TABLE IF NOT EXISTS delivery_dismissals (
            delivery_id  INTEGER PRIMARY KEY REFERENCES deliveries (id) ON DELETE CASCADE,
            dismissed_at TEXT NOT NULL,
            dismissed_by TEXT NOT NULL
        )""",
    ],
    9: [
        "CREATE INDEX IF NOT EXISTS order_events_delivery ON order_events (delivery_id)",
    ],
    10: [  # detection: rules open cases by themselves
        "ALTER TABLE orders ADD COLUMN note TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE orders ADD COLUMN check_at TEXT",
        "UPDATE orders SET check_at = updated_at",  # every order known is checked once
        "CREATE INDEX IF NOT EXISTS orders_check ON orders (check_at) WHERE check_at IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS orders_customer_phone ON orders (customer_phone, placed_at)",
        "ALTER TABLE cases ADD COLUMN rule TEXT",
        "ALTER TABLE cases ADD COLUMN rule_subject TEXT",
        "ALTER TABLE cases ADD COLUMN rule_evidence TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE cases ADD COLUMN cleared_at TEXT",
        """CREATE UNIQUE INDEX IF NOT EXISTS cases_live_rule ON cases (rule_subject, rule)
           WHERE rule IS NOT NULL AND status NOT IN ('closed', 'void')""",
        """CREATE TABLE IF NOT EXISTS stock (
            sku        TEXT PRIMARY KEY,
            quantity   INTEGER NOT NULL,
            source     TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
    ],
    11: [
        """CREATE TABLE IF NOT EXISTS hooks (
            id          INTEGER PRIMARY KEY,
            name        TEXT NOT NULL UNIQUE,
            url         TEXT NOT NULL,
            format      TEXT NOT NULL
                        CHECK (format IN ('shopdesk', 'wecom', 'dingtalk', 'feishu', 'slack')),
            events      TEXT NOT NULL DEFAULT '[]',
            only        TEXT NOT NULL DEFAULT '',
            secret      TEXT NOT NULL DEFAULT '',
            created_at  TEXT NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS outbox (
            id           INTEGER PRIMARY KEY,
            message_id   TEXT NOT NULL UNIQUE,
            channel      TEXT NOT NULL CHECK (channel IN ('hook', 'email')),
            hook_id      INTEGER REFERENCES hooks (id) ON DELETE SET NULL,
            target       TEXT NOT NULL,
            event        TEXT NOT NULL,
            case_id      INTEGER REFERENCES cases (id),
            payload      TEXT NOT NULL,
            status       TEXT NOT NULL
                         CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
            attempts     INTEGER NOT NULL DEFAULT 0,
            created_at   TEXT NOT NULL,
            next_try     REAL NOT NULL,
            last_try_at  TEXT,
            last_error   TEXT NOT NULL DEFAULT '',
            done_at      TEXT,
            done_by      TEXT
        )""",
        "CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_try)",
        "CREATE INDEX IF NOT EXISTS outbox_case ON outbox (case_id)",
        "ALTER TABLE surveys ADD COLUMN answered_by TEXT NOT NULL DEFAULT 'operator'",
    ],
    12: [
        """CREATE TABLE IF NOT EXISTS operators (
            id          INTEGER PRIMARY KEY,
            name        TEXT NOT NULL UNIQUE,
            role        TEXT NOT NULL CHECK (role IN ('operator', 'supervisor', 'owner')),
            unix_user   TEXT NOT NULL DEFAULT '',
            phone       TEXT NOT NULL DEFAULT '',
            email       TEXT NOT NULL DEFAULT '',
            created_at  TEXT NOT NULL,
            created_by  TEXT NOT NULL DEFAULT '',
            disabled_at TEXT
        )""",
        "CREATE INDEX IF NOT EXISTS operators_unix_user ON operators (unix_user)",
    ],
    13: [
        # incidents: status active | stable | closed (was active | ended), stable_at and the filter
        # new cases join by. SQLite cannot change a CHECK: both incident tables are made anew
        # (incident_cases first, so nothing refers to the old incidents when it is dropped).
        """CREATE TABLE incidents_v13 (
            id             INTEGER PRIMARY KEY,
            title          TEXT NOT NULL,
            type           TEXT NOT NULL,
            level          INTEGER NOT NULL CHECK (level BETWEEN 1 AND 3),
            status         TEXT NOT NULL DEFAULT 'active'
                           CHECK (status IN ('active', 'stable', 'closed')),
            started_at     TEXT NOT NULL,
            stable_at      TEXT,
            ended_at       TEXT,
            owner          TEXT NOT NULL DEFAULT '',
            description    TEXT NOT NULL DEFAULT '',
            review_cause   TEXT NOT NULL DEFAULT '',
            review_impact  TEXT NOT NULL DEFAULT '',
            review_changes TEXT NOT NULL DEFAULT '',
            case_filter    TEXT,
            created_at     TEXT NOT NULL
        )""",
        """INSERT INTO incidents_v13 (id, title, type, level, status, started_at, stable_at,
                ended_at, owner, description, review_cause, review_impact, review_changes,
                created_at)
           SELECT id, title, type, level, CASE status WHEN 'ended' THEN 'closed' ELSE status END,
                  started_at, ended_at, ended_at, owner, description, review_cause, review_impact,
                  review_changes, created_at FROM incidents""",
        """CREATE TABLE incident_cases_v13 (
            incident_id INTEGER NOT NULL REFERENCES incidents_v13 (id),
            case_id     INTEGER NOT NULL REFERENCES cases (id),
            linked_at   TEXT NOT NULL,
            linked_by   TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (incident_id, case_id)
        )""",
        """INSERT INTO incident_cases_v13 (incident_id, case_id, linked_at, linked_by)
           SELECT incident_id, case_id, linked_at, 'filter' FROM incident_cases""",
        "DROP TABLE incident_cases",
        "DROP TABLE incidents",
        "ALTER TABLE incidents_v13 RENAME TO incidents",
        "ALTER TABLE incident_cases_v13 RENAME TO incident_cases",
        "CREATE INDEX IF NOT EXISTS incident_cases_case ON incident_cases (case_id)",
        """CREATE TABLE IF NOT EXISTS incident_team (
            incident_id INTEGER NOT NULL REFERENCES incidents (id),
            operator    TEXT NOT NULL,
            role        TEXT NOT NULL,
            phone       TEXT NOT NULL DEFAULT '',
            added_at    TEXT NOT NULL,
            PRIMARY KEY (incident_id, operator)
        )""",
        """CREATE TABLE IF NOT EXISTS incident_events (
            id          INTEGER PRIMARY KEY,
            incident_id INTEGER NOT NULL REFERENCES incidents (id),
            at          TEXT NOT NULL,
            actor       TEXT NOT NULL,
            type        TEXT NOT NULL,
            data        TEXT NOT NULL DEFAULT '{}'
        )""",
        "CREATE INDEX IF NOT EXISTS incident_events_incident ON incident_events (incident_id, at)",
        """CREATE TABLE IF NOT EXISTS incident_runs (
            id          INTEGER PRIMARY KEY,
            incident_id INTEGER NOT NULL REFERENCES incidents (id),
            action      TEXT NOT NULL,
            params      TEXT NOT NULL,
            actor       TEXT NOT NULL,
            started_at  TEXT NOT NULL,
            finished_at TEXT
        )""",
        """CREATE TABLE IF NOT EXISTS incident_run_cases (
            run_id  INTEGER NOT NULL REFERENCES incident_runs (id),
            case_id INTEGER NOT NULL REFERENCES cases (id),
            PRIMARY KEY (run_id, case_id)
        )""",
    ],
    14: [  # the shop's settings in the store (issue 11); 10-13 belong to other branches
        """CREATE TABLE IF NOT EXISTS shop_settings (
            key        TEXT PRIMARY KEY,
            value      TEXT NOT NULL,
            changed_at TEXT NOT NULL,
            changed_by TEXT NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS settings_changes (
            id        INTEGER PRIMARY KEY,
            at        TEXT NOT NULL,
            actor     TEXT NOT NULL,
            key       TEXT NOT NULL,
            old_value TEXT,
            new_value TEXT
        )""",
    ],
}


def schema_text() -> str:
    """schema.sql as shipped in the package, or from the repository root in a source checkout."""
    packaged = resources.files("shopdesk") / "schema.sql"
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    root = Path(__file__).resolve().parents[3] / "schema.sql"
    return root.read_text(encoding="utf-8")


def split_statements(script: str) -> list[str]:
    """Split a SQL script into whole statements (so they can run inside one transaction)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        if not buffer and (not line.strip() or line.lstrip().startswith("--")):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


def plan(current_version: int, has_tables: bool) -> list[str]:
    """The statements that bring a store at `current_version` to SCHEMA_VERSION."""
    if current_version == 0 and not has_tables:
        return split_statements(schema_text()) + [f"PRAGMA user_version = {SCHEMA_VERSION}"]
    statements: list[str] = []
    for version in range(current_version + 1, SCHEMA_VERSION + 1):
        statements.extend(STEPS.get(version, []))  # a number another branch holds: no step here
    if statements:
        statements.append(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return statements
