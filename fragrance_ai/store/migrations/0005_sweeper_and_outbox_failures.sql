-- The sweeper counts how often it re-drove a stalled job, so that it can give up;
-- an outbox row that cannot be published is tried again after a backoff, then set
-- aside as failed with its reason, so it never holds back the rows after it.

ALTER TABLE jobs ADD COLUMN redrives integer NOT NULL DEFAULT 0 CHECK (redrives >= 0);

-- The sweeper looks for unfinished jobs that have not moved for a while.
CREATE INDEX jobs_unfinished_by_update ON jobs (updated_at)
    WHERE status IN ('queued', 'interpreting', 'optimising');

ALTER TABLE outbox
    ADD COLUMN attempts  integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    ADD COLUMN failed_at timestamptz,
    ADD COLUMN error     text;

DROP INDEX outbox_unsent;
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL AND failed_at IS NULL;
-- Retention deletes what was sent or set aside long enough ago.
CREATE INDEX outbox_done ON outbox ((coalesce(sent_at, failed_at)));
