"""Commands become outbox rows: keyed by job_id, carrying the correlation id."""

from brokers.middlewares import CORRELATION_ID_HEADER, JOB_ID_HEADER
from brokers.topics import command_topic
from fragrance_ai.jobs.routing import Dispatch
from fragrance_ai.store import OutboxMessage


def outbox_message(dispatch: Dispatch, correlation_id: str | None) -> OutboxMessage:
    job_id = str(dispatch.command.job_id)
    headers = {JOB_ID_HEADER: job_id}
    if correlation_id:
        headers[CORRELATION_ID_HEADER] = correlation_id
    return OutboxMessage.of(command_topic(dispatch.role), job_id, dispatch.command, headers)
