"""What the alerts on stuck jobs and the outbox read: the sweeper's counts, and gauges of
the store's backlog refreshed by the API process beside `jobs{status}`.

The gauges are counted in PostgreSQL, so every API replica reports the same value: alert
on their `max`. The counters count what this replica's sweeper did: alert on their `sum`.
"""

from prometheus_client import Counter, Gauge

from fragrance_ai.store import JobStore

JOBS_STALLED = Gauge(
    "jobs_stalled", "Unfinished formulation jobs that have not moved for sweeper.stalled_after_s"
)
JOBS_REDRIVEN = Counter(
    "jobs_redriven_total", "Stalled jobs whose next command the sweeper wrote again"
)
JOBS_SWEPT_FAILED = Counter(
    "jobs_stalled_failed_total", "Stalled jobs the sweeper failed, out of attempts or re-drives"
)
OUTBOX_BACKLOG = Gauge("outbox_backlog", "Outbox rows not yet published")
OUTBOX_OLDEST_AGE = Gauge(
    "outbox_oldest_age_seconds", "Age of the oldest outbox row not yet published; 0 when none"
)
OUTBOX_FAILED = Gauge(
    "outbox_failed", "Outbox rows set aside because the broker would not take them"
)
ROWS_PURGED = Counter(
    "rows_purged_total", "Rows deleted by the sweeper's retention, by table", ["table"]
)
for _table in ("outbox", "job_events", "llm_cache", "idempotency_keys"):
    ROWS_PURGED.labels(_table)


async def refresh_backlog(store: JobStore, stalled_after_s: float) -> None:
    JOBS_STALLED.set(await store.stalled_count(stalled_after_s))
    backlog, oldest_age_s = await store.outbox_backlog()
    OUTBOX_BACKLOG.set(backlog)
    OUTBOX_OLDEST_AGE.set(oldest_age_s)
    OUTBOX_FAILED.set(await store.failed_outbox_count())


class PrometheusSweepCounts:
    """The sweeper's counts (jobs.sweeper.SweepCounts) as the counters above."""

    def redriven(self) -> None:
        JOBS_REDRIVEN.inc()

    def failed(self) -> None:
        JOBS_SWEPT_FAILED.inc()

    def purged(self, table: str, rows: int) -> None:
        ROWS_PURGED.labels(table).inc(rows)
