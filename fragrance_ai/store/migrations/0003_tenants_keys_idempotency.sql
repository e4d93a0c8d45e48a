-- API keys (only a hash of each secret is kept), the tenant that owns each job, and the
-- Idempotency-Key answers every API replica shares for 24 hours.

CREATE TABLE api_keys (
    id           text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{12}$'),
    tenant       text NOT NULL CHECK (tenant <> ''),
    scopes       text[] NOT NULL,
    secret_hash  text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);

CREATE INDEX api_keys_by_tenant ON api_keys (tenant, created_at);

-- Jobs accepted before tenants existed belong to the tenant 'default'.
ALTER TABLE jobs ADD COLUMN tenant text NOT NULL DEFAULT 'default' CHECK (tenant <> '');
ALTER TABLE jobs ALTER COLUMN tenant DROP DEFAULT;

CREATE TABLE idempotency_keys (
    tenant        text NOT NULL,
    key           text NOT NULL,
    fingerprint   text NOT NULL,
    status        integer NOT NULL,
    body          bytea NOT NULL,
    headers       jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, key)
);

CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
