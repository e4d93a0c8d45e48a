"""After a restart on a broker that kept nothing, drive every unfinished job again."""

import structlog

from fragrance_ai.jobs.dispatch import outbox_message
from fragrance_ai.jobs.routing import resume_dispatch
from fragrance_ai.store import JobStore
from schemas.jobs import JobKind

log = structlog.get_logger(__name__)


async def redrive_unfinished(store: JobStore) -> int:
    """Queue the next command of each unfinished formulation job; the number queued."""
    jobs = [j for j in await store.unfinished_jobs() if j.kind is JobKind.FORMULATION]
    for job in jobs:
        await store.add_outbox([outbox_message(resume_dispatch(job), job.correlation_id)])
    if jobs:
        log.info("unfinished jobs driven again", count=len(jobs))
    return len(jobs)
