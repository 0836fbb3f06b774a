-- shopdesk store: the one definition of the tables.
-- Times are TEXT, ISO-8601 in UTC with seconds ("2026-11-23T06:00:00+00:00"), so they sort as text.
-- Money is INTEGER minor units with a currency column. Ids from shops are TEXT.
-- The store's schema version is PRAGMA user_version (see store/migrations.py); this file is version 12.

CREATE TABLE IF NOT EXISTS sources (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL CHECK (kind IN ('generic', 'woocommerce', 'shopify')),
    secret      TEXT NOT NULL,
    old_secret  TEXT,                      -- still accepted during a rotation
    created_at  TEXT NOT NULL,
    rotated_at  TEXT
);

CREATE TABLE IF NOT EXISTS orders (
    id               INTEGER PRIMARY KEY,
    source           TEXT NOT NULL,          -- a sources.name, or 'manual' / 'demo'
    external_id      TEXT NOT NULL,
    number           TEXT NOT NULL DEFAULT '',
    customer_name    TEXT NOT NULL DEFAULT '',
    customer_email   TEXT NOT NULL DEFAULT '',
    customer_phone   TEXT NOT NULL DEFAULT '',
    address          TEXT NOT NULL DEFAULT '',
    items            TEXT NOT NULL DEFAULT '[]',   -- JSON list of {name, quantity, sku, price_minor}
    total_minor      INTEGER NOT NULL DEFAULT 0,
    paid_minor       INTEGER NOT NULL DEFAULT 0,
    currency         TEXT NOT NULL DEFAULT 'CNY',
    status           TEXT NOT NULL DEFAULT '',
    carrier          TEXT NOT NULL DEFAULT '',
    tracking_number  TEXT NOT NULL DEFAULT '',
    placed_at        TEXT,
    paid_at          TEXT,
    shipped_at       TEXT,
    delivered_at     TEXT,
    last_tracking_at TEXT,
    ship_by          TEXT,
    deliver_by       TEXT,
    tags             TEXT NOT NULL DEFAULT '[]',   -- JSON list of text
    is_test          INTEGER NOT NULL DEFAULT 0,
    updated_at       TEXT NOT NULL,
    changed_at       TEXT,                         -- the shop's time of this snapshot: an older delivery does not replace it
    UNIQUE (source, external_id)
);
CREATE INDEX IF NOT EXISTS orders_customer_email ON orders (customer_email);
CREATE INDEX IF NOT EXISTS orders_tracking ON orders (tracking_number);
CREATE INDEX IF NOT EXISTS orders_status ON orders (status, placed_at);

CREATE TABLE IF NOT EXISTS order_events (
    id          INTEGER PRIMARY KEY,
    order_id    INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    type        TEXT NOT NULL,   -- created paid shipped tracking_update delivered cancelled refund_requested refunded updated
    at          TEXT NOT NULL,
    delivery_id INTEGER REFERENCES deliveries (id),
    data        TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS order_events_order ON order_events (order_id, at);
-- Removing a source deletes its deliveries: each delete checks the events that point at it.
CREATE INDEX IF NOT EXISTS order_events_delivery ON order_events (delivery_id);

CREATE TABLE IF NOT EXISTS incidents (
    id             INTEGER PRIMARY KEY,
    title          TEXT NOT NULL,
    type           TEXT NOT NULL,
    level          INTEGER NOT NULL CHECK (level BETWEEN 1 AND 3),
    status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended')),
    started_at     TEXT NOT NULL,
    ended_at       TEXT,
    owner          TEXT NOT NULL DEFAULT '',
    description    TEXT NOT NULL DEFAULT '',
    review_cause   TEXT NOT NULL DEFAULT '',
    review_impact  TEXT NOT NULL DEFAULT '',
    review_changes TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS cases (
    id                     INTEGER PRIMARY KEY,
    ref                    TEXT NOT NULL UNIQUE,             -- C-000123
    kind                   TEXT NOT NULL,
    level                  INTEGER NOT NULL CHECK (level BETWEEN 1 AND 3),
    urgent                 INTEGER NOT NULL DEFAULT 0,
    status                 TEXT NOT NULL CHECK (status IN ('new', 'open', 'waiting', 'escalated', 'resolved', 'closed', 'void')),
    tier                   TEXT NOT NULL DEFAULT 'operator',
    title                  TEXT NOT NULL DEFAULT '',
    description            TEXT NOT NULL DEFAULT '',
    assignee               TEXT,
    department             TEXT,
    responsible_party      TEXT,
    responsible_department TEXT,
    joint_department       TEXT,
    root_cause             TEXT NOT NULL DEFAULT '',
    evidence               TEXT NOT NULL DEFAULT '[]',       -- JSON list of text, paths or URLs
    order_id               INTEGER REFERENCES orders (id),
    customer_name          TEXT NOT NULL DEFAULT '',
    customer_email         TEXT NOT NULL DEFAULT '',
    customer_phone         TEXT NOT NULL DEFAULT '',
    source                 TEXT NOT NULL DEFAULT 'manual',   -- manual api detection demo
    dedupe_key             TEXT UNIQUE,                      -- detection rule+order, or an Idempotency-Key
    request_hash           TEXT,                             -- sha256 of the request an Idempotency-Key opened the case with
    opened_by              TEXT NOT NULL,
    opened_at              TEXT NOT NULL,
    first_response_at      TEXT,
    first_response_due_at  TEXT,
    resolution_due_at      TEXT,
    due_at                 TEXT,             -- the running clock's due time; NULL while paused or done
    resolved_at            TEXT,
    closed_at              TEXT,
    reopened_at            TEXT,             -- the last reopen: the resolution clock runs from here
    resolution             TEXT NOT NULL DEFAULT '',
    version                INTEGER NOT NULL DEFAULT 1,
    updated_at             TEXT NOT NULL,
    updated_by             TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cases_queue ON cases (status, due_at);
CREATE INDEX IF NOT EXISTS cases_order ON cases (order_id);
CREATE INDEX IF NOT EXISTS cases_opened ON cases (opened_at);
CREATE INDEX IF NOT EXISTS cases_assignee ON cases (assignee, status);
CREATE INDEX IF NOT EXISTS cases_resolved ON cases (resolved_at);  -- "resolved today" without a scan
CREATE INDEX IF NOT EXISTS cases_active_order ON cases (status, urgent, level, due_at);  -- queue pages

CREATE TABLE IF NOT EXISTS case_events (
    id       INTEGER PRIMARY KEY,
    case_id  INTEGER NOT NULL REFERENCES cases (id),
    at       TEXT NOT NULL,
    actor    TEXT NOT NULL,
    type     TEXT NOT NULL,
    data     TEXT NOT NULL DEFAULT '{}'          -- JSON: the data of the change
);
CREATE INDEX IF NOT EXISTS case_events_case ON case_events (case_id, id);
CREATE INDEX IF NOT EXISTS case_events_at ON case_events (at);

CREATE TABLE IF NOT EXISTS sla_pauses (
    id        INTEGER PRIMARY KEY,
    case_id   INTEGER NOT NULL REFERENCES cases (id),
    started_at TEXT NOT NULL,
    ended_at  TEXT
);
CREATE INDEX IF NOT EXISTS sla_pauses_case ON sla_pauses (case_id);

CREATE TABLE IF NOT EXISTS remedies (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER NOT NULL REFERENCES cases (id),
    type         TEXT NOT NULL,
    amount_minor INTEGER NOT NULL DEFAULT 0,
    currency     TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL CHECK (status IN ('proposed', 'approved', 'done', 'rejected')),
    note         TEXT NOT NULL DEFAULT '',
    proposed_by  TEXT NOT NULL,
    proposed_at  TEXT NOT NULL,
    decided_by   TEXT,
    decided_at   TEXT,
    done_at      TEXT
);
CREATE INDEX IF NOT EXISTS remedies_case ON remedies (case_id);

CREATE TABLE IF NOT EXISTS contacts (
    id                INTEGER PRIMARY KEY,
    case_id           INTEGER NOT NULL REFERENCES cases (id),
    at                TEXT NOT NULL,
    actor             TEXT NOT NULL,
    channel           TEXT NOT NULL,
    direction         TEXT NOT NULL CHECK (direction IN ('outbound', 'inbound')),
    template          TEXT,
    summary           TEXT NOT NULL DEFAULT '',
    next_follow_up_at TEXT
);
CREATE INDEX IF NOT EXISTS contacts_case ON contacts (case_id);

CREATE TABLE IF NOT EXISTS surveys (
    case_id  INTEGER PRIMARY KEY REFERENCES cases (id),
    score    INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment  TEXT NOT NULL DEFAULT '',
    at       TEXT NOT NULL,
    actor    TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS incident_cases (
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    linked_at   TEXT NOT NULL,
    PRIMARY KEY (incident_id, case_id)
);
CREATE INDEX IF NOT EXISTS incident_cases_case ON incident_cases (case_id);

CREATE TABLE IF NOT EXISTS deliveries (
    id           INTEGER PRIMARY KEY,
    source_id    INTEGER NOT NULL REFERENCES sources (id),
    dedupe_key   TEXT NOT NULL,          -- platform delivery id, or a body hash where that is not unique
    received_at  TEXT NOT NULL,
    topic        TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL CHECK (status IN ('processed', 'quarantined', 'test')),
    error        TEXT NOT NULL DEFAULT '',
    headers      TEXT NOT NULL DEFAULT '{}',
    body         BLOB NOT NULL,
    order_id     INTEGER REFERENCES orders (id),
    UNIQUE (source_id, dedupe_key)
);
CREATE INDEX IF NOT EXISTS deliveries_status ON deliveries (status, received_at);

-- An intake problem (a quarantined delivery) an operator marked handled: it leaves the problems
-- list and stays stored in deliveries.
CREATE TABLE IF NOT EXISTS delivery_dismissals (
    delivery_id  INTEGER PRIMARY KEY REFERENCES deliveries (id) ON DELETE CASCADE,
    dismissed_at TEXT NOT NULL,
    dismissed_by TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,   -- sha256 hex of the token; the token itself is never stored
    operator     TEXT NOT NULL DEFAULT 'api',
    created_at   TEXT NOT NULL,
    revoked_at   TEXT,
    last_used_at TEXT
);

-- What the store says about itself, by key: "sla_fingerprint" names the SLA policy (calendar,
-- targets, rules) the stored due times of active cases were computed with.
CREATE TABLE IF NOT EXISTS store_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The people who work the desk, each with a role; `unix_user` is the OS account that acts as them
-- (several operators may share one account: a shop's single login). Disabled ones stay for history.
CREATE TABLE IF NOT EXISTS operators (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ('operator', 'supervisor', 'owner')),
    unix_user   TEXT NOT NULL DEFAULT '',
    phone       TEXT NOT NULL DEFAULT '',
    email       TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL DEFAULT '',
    disabled_at TEXT
);
CREATE INDEX IF NOT EXISTS operators_unix_user ON operators (unix_user);
