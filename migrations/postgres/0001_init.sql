-- idm-credentials schema, PostgreSQL tree. Keep in step with ../sqlite/0001_init.sql:
-- the two differ only in column types (TIMESTAMPTZ/BIGINT here, TEXT/INTEGER there).
-- Keys are application-generated UUID strings so the schema stays portable to
-- distributed PostgreSQL engines (no sequences, no advisory locks).

-- Server-generated secrets (JWT signing secret, OATH encryption key) when not configured,
-- so that every process sharing the database agrees on them.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE clients (
    id            TEXT PRIMARY KEY,
    ext_id        TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL UNIQUE,
    version       BIGINT NOT NULL,
    created       TIMESTAMPTZ NOT NULL,
    last_modified TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    client_id     TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    ext_id        TEXT NOT NULL,
    login_id      TEXT NOT NULL,
    state         TEXT NOT NULL,
    -- name, contacts, languageCode, isTechnicalUser: opaque to the credential logic.
    profile       TEXT NOT NULL,
    version       BIGINT NOT NULL,
    created       TIMESTAMPTZ NOT NULL,
    last_modified TIMESTAMPTZ NOT NULL,
    UNIQUE (client_id, ext_id),
    UNIQUE (client_id, login_id)
);

CREATE TABLE policies (
    id             TEXT PRIMARY KEY,
    client_id      TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    ext_id         TEXT NOT NULL,
    name           TEXT NOT NULL,
    description    TEXT,
    policy_type    TEXT NOT NULL,
    default_policy BOOLEAN NOT NULL,
    -- JSON object of string -> string, as nevisIDM's policy parameters.
    parameters     TEXT NOT NULL,
    version        BIGINT NOT NULL,
    created        TIMESTAMPTZ NOT NULL,
    last_modified  TIMESTAMPTZ NOT NULL,
    UNIQUE (client_id, ext_id)
);

-- One table for all credential types: the common nevisIDM credential columns, plus
-- `attributes`, a JSON document with the type's own fields (hash, mobile number, ...),
-- converted to a typed struct at the row boundary.
CREATE TABLE credentials (
    id                   TEXT PRIMARY KEY,
    client_id            TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    user_id              TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ext_id               TEXT NOT NULL,
    type                 TEXT NOT NULL,
    policy_id            TEXT REFERENCES policies (id),
    state                TEXT NOT NULL,
    state_change_reason  TEXT,
    state_change_detail  TEXT,
    modification_comment TEXT,
    version              BIGINT NOT NULL,
    created              TIMESTAMPTZ NOT NULL,
    last_modified        TIMESTAMPTZ NOT NULL,
    validity_from        TIMESTAMPTZ,
    validity_to          TIMESTAMPTZ,
    success_count        BIGINT NOT NULL,
    failure_count        BIGINT NOT NULL,
    last_success         TIMESTAMPTZ,
    last_failure         TIMESTAMPTZ,
    reset_count          BIGINT NOT NULL,
    attributes           TEXT NOT NULL,
    UNIQUE (user_id, ext_id)
);

-- Password, ticket and mobile signature exist at most once per user; the index makes
-- that true under concurrency, the service turns its violation into errors.*Exists.
CREATE UNIQUE INDEX credentials_one_per_user ON credentials (user_id, type)
    WHERE type IN ('Password', 'Ticket Authorization', 'MobileSignature');
CREATE INDEX credentials_policy ON credentials (policy_id);

-- The audit trail: one row per successful change, written in the change's transaction.
-- It outlives the credential (no FK to credentials) but not the user.
CREATE TABLE credential_history (
    id            TEXT PRIMARY KEY,
    credential_id TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    version       BIGINT NOT NULL,
    at            TIMESTAMPTZ NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    -- JSON array of {field, old, new}; secret values are redacted before they get here.
    changes       TEXT NOT NULL
);
CREATE INDEX credential_history_credential ON credential_history (credential_id, version);
CREATE INDEX credential_history_user ON credential_history (user_id);
