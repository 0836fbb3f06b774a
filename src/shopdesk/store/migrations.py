"""Versioned migrations (PRAGMA user_version).

A new store gets `schema.sql` whole and the current version. An older store gets each step after its
version, all in one transaction: if any step fails, the file is left as it was. A newer store is
refused, since this shopdesk does not know its tables.
"""

from __future__ import annotations

import sqlite3
from importlib import resources
from pathlib import Path

SCHEMA_VERSION = 12

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
        statements.extend(STEPS.get(version, []))  # numbers other branches own may be gaps
    if statements:
        statements.append(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return statements
