-- shopdesk store: the one definition of the tables.
-- Times are TEXT, ISO-8601 in UTC with seconds ("2026-11-23T06:00:00+00:00"), so they sort as text.
-- Money is INTEGER minor units with a currency column. Ids from shops are TEXT.
-- The store's schema version is PRAGMA user_version (see store/migrations.py); this file is version 14.

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
    note             TEXT NOT NULL DEFAULT '',     -- the buyer's note ("加急" makes an order urgent)
    check_at         TEXT,                         -- detection: when the rules look at it next (NULL: only an event can change them)
    UNIQUE (source, external_id)
);
-- The sweep reads only the orders due for a check.
CREATE INDEX IF NOT EXISTS orders_check ON orders (check_at) WHERE check_at IS NOT NULL;
-- Buyer rules (duplicate order, many unpaid orders) group a buyer's orders by phone or email.
CREATE INDEX IF NOT EXISTS orders_customer_phone ON orders (customer_phone, placed_at);
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
    status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'stable', 'closed')),
    started_at     TEXT NOT NULL,
    stable_at      TEXT,                   -- when it was declared under control
    ended_at       TEXT,                   -- when it was closed
    owner          TEXT NOT NULL DEFAULT '',
    description    TEXT NOT NULL DEFAULT '',
    review_cause   TEXT NOT NULL DEFAULT '',
    review_impact  TEXT NOT NULL DEFAULT '',
    review_changes TEXT NOT NULL DEFAULT '', -- the lessons: what changes
    case_filter    TEXT,                   -- JSON CaseFilter: new cases matching it join while active
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
    updated_by             TEXT NOT NULL,
    rule                   TEXT,             -- the detection rule that opened it (payment_timeout …)
    rule_subject           TEXT,             -- what it found it on: order:<id> or buyer:<phone|email>
    rule_evidence          TEXT NOT NULL DEFAULT '',  -- the values the rule compared
    cleared_at             TEXT              -- the rule's condition stopped holding (case kept: worked on)
);
-- One live case per (rule, order or buyer): the event path and the sweep racing open one.
CREATE UNIQUE INDEX IF NOT EXISTS cases_live_rule ON cases (rule_subject, rule)
    WHERE rule IS NOT NULL AND status NOT IN ('closed', 'void');
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
    actor    TEXT NOT NULL,
    answered_by TEXT NOT NULL DEFAULT 'operator'   -- 'customer': their own answer (a survey token)
);

CREATE TABLE IF NOT EXISTS incident_cases (
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    linked_at   TEXT NOT NULL,
    linked_by   TEXT NOT NULL DEFAULT '',   -- ref | filter | arrival
    PRIMARY KEY (incident_id, case_id)
);
CREATE INDEX IF NOT EXISTS incident_cases_case ON incident_cases (case_id);

-- The response team (应急小组): operators with a role in the incident and a phone.
CREATE TABLE IF NOT EXISTS incident_team (
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    operator    TEXT NOT NULL,
    role        TEXT NOT NULL,
    phone       TEXT NOT NULL DEFAULT '',
    added_at    TEXT NOT NULL,
    PRIMARY KEY (incident_id, operator)
);

-- The incident's own timeline: declared, team changes, links, bulk runs, stable, closed.
CREATE TABLE IF NOT EXISTS incident_events (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    type        TEXT NOT NULL,
    data        TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS incident_events_incident ON incident_events (incident_id, at);

-- A bulk action over the linked cases, and the cases it has done: a rerun after a kill skips them.
CREATE TABLE IF NOT EXISTS incident_runs (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    action      TEXT NOT NULL,             -- note | contact | escalate | resolve
    params      TEXT NOT NULL,             -- JSON, canonical: the same request finds its run
    actor       TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT
);
CREATE TABLE IF NOT EXISTS incident_run_cases (
    run_id  INTEGER NOT NULL REFERENCES incident_runs (id),
    case_id INTEGER NOT NULL REFERENCES cases (id),
    PRIMARY KEY (run_id, case_id)
);

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
-- Stock levels the shop reported (generic event type "stock", `shopdesk stock import`).
CREATE TABLE IF NOT EXISTS stock (
    sku        TEXT PRIMARY KEY,
    quantity   INTEGER NOT NULL,
    source     TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS store_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The shop's rules (schema v14): one row per top-level settings key (timezone, calendar, sla,
-- approval_limits, detection, api …), its value as JSON. The same for every process and account on
-- the store; a key not here takes the default. Changed with `shopdesk config`; every change is in
-- settings_changes, and store_meta's settings_version counts them, so running processes notice.
CREATE TABLE IF NOT EXISTS shop_settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    changed_by TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS settings_changes (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    key       TEXT NOT NULL,           -- as given: "calendar", "sla.L2.first_response", "import"
    old_value TEXT,                    -- JSON; NULL: not set in the store before
    new_value TEXT                     -- JSON; NULL: removed (back to the default)
);
-- Hooks (`shopdesk hook add`): where staff alerts (WeCom, DingTalk, Feishu, Slack) and signed
-- events for shop plugins (format 'shopdesk') go. `events` is a JSON list of event names (all when
-- empty); `only` narrows the case events to urgent and/or graver cases ("urgent", "L2", "L3").
CREATE TABLE IF NOT EXISTS hooks (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    url         TEXT NOT NULL,
    format      TEXT NOT NULL CHECK (format IN ('shopdesk', 'wecom', 'dingtalk', 'feishu', 'slack')),
    events      TEXT NOT NULL DEFAULT '[]',
    only        TEXT NOT NULL DEFAULT '',
    secret      TEXT NOT NULL DEFAULT '',   -- never shown, logged or exported
    created_at  TEXT NOT NULL
);

-- The outbox: every message shopdesk sends (a hook's event, an email to a customer), written in
-- the same transaction as the case event that causes it, delivered by the serving process's sender
-- at least once. `message_id` is stable across tries: receivers dedupe on it.
CREATE TABLE IF NOT EXISTS outbox (
    id           INTEGER PRIMARY KEY,
    message_id   TEXT NOT NULL UNIQUE,
    channel      TEXT NOT NULL CHECK (channel IN ('hook', 'email')),
    hook_id      INTEGER REFERENCES hooks (id) ON DELETE SET NULL,
    target       TEXT NOT NULL,            -- the hook's name or the customer's address, for people
    event        TEXT NOT NULL,            -- case.opened …, or email
    case_id      INTEGER REFERENCES cases (id),
    payload      TEXT NOT NULL,            -- JSON: the event (hooks) or {to, subject, body} (email)
    status       TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    next_try     REAL NOT NULL,            -- unix time of the next try (sub-second backoff)
    last_try_at  TEXT,
    last_error   TEXT NOT NULL DEFAULT '',
    done_at      TEXT,                     -- sent, failed for good or cancelled
    done_by      TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_try);
CREATE INDEX IF NOT EXISTS outbox_case ON outbox (case_id);
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
