-- A job's end announced on a channel of its own, whatever ended it (its last event, a
-- cancellation, the sweeper): a worker running a stage watches for its job ending, not
-- for every event of every job. A job is stamped `finished_at` exactly when it reaches
-- a terminal status, and never again.

CREATE FUNCTION notify_job_ended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('job_ended', NEW.id::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER job_ended AFTER UPDATE OF finished_at ON jobs
FOR EACH ROW
WHEN (OLD.finished_at IS NULL AND NEW.finished_at IS NOT NULL)
EXECUTE FUNCTION notify_job_ended();
