"""The jobs in the store and what the sweeper did with them: what the dashboards and
the alerts on stuck jobs and the outbox read.

- `jobs{status}`: how many jobs the store holds in each status. The counts of the
  terminal statuses only grow, so `deriv(jobs{status="succeeded"}[5m])` is the rate at
  which jobs finish with that outcome.
- Gauges of the store's backlog: stalled jobs, the outbox.
- The sweeper's counters: jobs re-driven or failed, rows purged.

The gauges are counted in PostgreSQL by the API process every few seconds, so every API
replica reports the same value: alert on their `max`. The counters count what this
replica's sweeper did: alert on their `sum`.
"""

from prometheus_client import Counter, Gauge

from fragrance_ai.store import JobStore
from schemas.jobs import JobStatus

JOBS = Gauge("jobs", "Jobs in the store, by status", ["status"])

COUNT_BY_STATUS = "SELECT status, count(*) AS n FROM jobs GROUP BY status"


async def refresh_job_counts(store: JobStore) -> None:
    rows = await store.pool.fetch(COUNT_BY_STATUS, timeout=5.0)
    counts = {row["status"]: int(row["n"]) for row in rows}
    for status in JobStatus:
        JOBS.labels(status.value).set(counts.get(status.value, 0))


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


async def refresh_backlog_and_counts(store: JobStore, stalled_after_s: float) -> None:
    await refresh_job_counts(store)
    await refresh_backlog(store, stalled_after_s)
