"""A command the broker would never take fails its job, instead of leaving it queued."""

from uuid import UUID

import structlog

from brokers.middlewares import JOB_ID_HEADER
from brokers.topics import command_topic
from fragrance_ai.jobs.relay import SetAside
from fragrance_ai.jobs.routing import WorkerRole
from fragrance_ai.jobs.service import EventRecorder
from fragrance_ai.store.outbox import OutboxRecord
from schemas.messages import INTERPRETING, OPTIMISING, JobFailed

log = structlog.get_logger(__name__)

STAGE_OF_TOPIC = {
    command_topic(WorkerRole.LLM): INTERPRETING,
    command_topic(WorkerRole.RL): OPTIMISING,
    command_topic(WorkerRole.TRAINING): OPTIMISING,
}


def fail_its_job(recorder: EventRecorder) -> SetAside:
    """For the relay: a command row set aside fails the job it carries."""

    async def fail(message: OutboxRecord, error: str) -> None:
        stage = STAGE_OF_TOPIC.get(message.topic)
        job_id = message.headers.get(JOB_ID_HEADER)
        if stage is None or job_id is None:
            return
        failed = JobFailed(
            job_id=UUID(job_id),
            stage=stage,
            reason="the job's command could not be delivered to the workers",
            detail=f"outbox row {message.id} set aside: {error}",
        )
        await recorder.record(failed)

    return fail
