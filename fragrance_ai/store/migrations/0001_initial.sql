-- Jobs, their ordered events, the transactional outbox, leases and the LLM cache.

CREATE TABLE jobs (
    id                        uuid PRIMARY KEY,
    kind                      text NOT NULL CHECK (kind IN ('formulation', 'training')),
    status                    text NOT NULL DEFAULT 'queued' CHECK (status IN
                                  ('queued', 'interpreting', 'optimising',
                                   'succeeded', 'failed', 'cancelled')),
    brief_text                text NOT NULL,
    options                   jsonb NOT NULL DEFAULT '{}'::jsonb,
    brief                     jsonb,
    formula                   jsonb,
    error                     text,
    attempts                  integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    correlation_id            text,
    last_event_seq            integer NOT NULL DEFAULT 0,
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    interpreting_started_at   timestamptz,
    interpreting_finished_at  timestamptz,
    optimising_started_at     timestamptz,
    optimising_finished_at    timestamptz,
    finished_at               timestamptz
);

-- Restart recovery looks jobs up by status.
CREATE INDEX jobs_by_status ON jobs (status, created_at);

CREATE TABLE job_events (
    job_id      uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    seq         integer NOT NULL CHECK (seq > 0),
    type        text NOT NULL CHECK (type <> ''),
    payload     jsonb NOT NULL DEFAULT '{}'::jsonb,
    dedup_key   text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, seq),
    UNIQUE (job_id, dedup_key)
);

CREATE TABLE outbox (
    id             bigserial PRIMARY KEY,
    topic          text NOT NULL CHECK (topic <> ''),
    key            text,
    payload        bytea NOT NULL,
    headers        jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    claimed_until  timestamptz,
    sent_at        timestamptz
);

CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;

CREATE TABLE leases (
    name        text PRIMARY KEY,
    owner       text NOT NULL,
    expires_at  timestamptz NOT NULL
);

CREATE TABLE llm_cache (
    key         text PRIMARY KEY,
    value       jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz
);
