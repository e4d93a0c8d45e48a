-- Quotas every API replica shares: each key's request count in its current window.
-- Open event streams are leases named `event-stream/<tenant>/<id>`, renewed while open.

CREATE TABLE rate_limit_windows (
    key_id        text PRIMARY KEY,
    window_start  timestamptz NOT NULL,
    used          integer NOT NULL CHECK (used >= 0)
);
