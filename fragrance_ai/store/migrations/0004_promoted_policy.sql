-- The one trained policy `optimizer=policy` serves: promoted by an admin key, never by
-- finishing a training run.

CREATE TABLE promoted_policy (
    slot         boolean PRIMARY KEY DEFAULT true CHECK (slot),
    job_id       uuid NOT NULL REFERENCES jobs (id),
    run          text NOT NULL CHECK (run <> ''),
    promoted_at  timestamptz NOT NULL DEFAULT now()
);
