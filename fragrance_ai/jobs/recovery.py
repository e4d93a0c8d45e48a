"""After a restart on a broker that kept nothing, drive every unfinished job again."""

import structlog

from fragrance_ai.jobs.dispatch import outbox_message
from fragrance_ai.jobs.routing import resume_dispatch
from fragrance_ai.store import JobStore

log = structlog.get_logger(__name__)


async def redrive_unfinished(store: JobStore) -> int:
    """Queue the next command of each unfinished job; the number queued."""
    jobs = await store.unfinished_jobs()
    for job in jobs:
        await store.add_outbox([outbox_message(resume_dispatch(job), job.correlation_id)])
    if jobs:
        log.info("unfinished jobs driven again", count=len(jobs))
    return len(jobs)
