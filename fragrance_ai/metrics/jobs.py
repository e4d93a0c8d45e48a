"""`jobs{status}`: how many jobs the store holds in each status.

Counted in PostgreSQL by the API process every few seconds. The counts of the
terminal statuses only grow, so `deriv(jobs{status="succeeded"}[5m])` is the rate
at which jobs finish with that outcome, the same from every API replica.
"""

from prometheus_client import Gauge

from fragrance_ai.metrics.sweeper import refresh_backlog
from fragrance_ai.store import JobStore
from schemas.jobs import JobStatus

JOBS = Gauge("jobs", "Jobs in the store, by status", ["status"])

COUNT_BY_STATUS = "SELECT status, count(*) AS n FROM jobs GROUP BY status"


async def refresh_job_counts(store: JobStore) -> None:
    rows = await store.pool.fetch(COUNT_BY_STATUS, timeout=5.0)
    counts = {row["status"]: int(row["n"]) for row in rows}
    for status in JobStatus:
        JOBS.labels(status.value).set(counts.get(status.value, 0))


async def refresh_backlog_and_counts(store: JobStore, stalled_after_s: float) -> None:
    await refresh_job_counts(store)
    await refresh_backlog(store, stalled_after_s)
