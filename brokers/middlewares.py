"""FastStream middleware that carries ``job_id`` and the correlation id through Kafka.

On consume it binds both from the message (``job_id`` header, FastStream's own
``correlation_id`` header) for every log line of the handler; on publish it copies the
bound ``job_id`` into the outgoing headers. The correlation id travels through
``correlation_id_from_context``, the broker's id generator, so a message published
while handling another inherits its correlation id.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import uuid4

import structlog
from faststream import BaseMiddleware, StreamMessage

from fragrance_ai.logs import current_job_context, job_context

JOB_ID_HEADER = "job_id"

log = structlog.get_logger(__name__)


def correlation_id_from_context() -> str:
    """The correlation id bound to the current task, or a fresh one."""
    return current_job_context().get("correlation_id") or str(uuid4())


class JobContextMiddleware(BaseMiddleware):
    async def consume_scope(
        self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> Any:
        job_id = msg.headers.get(JOB_ID_HEADER) or _key_text(msg)
        with job_context(job_id=job_id, correlation_id=msg.correlation_id):
            return await call_next(msg)

    async def publish_scope(self, call_next: Callable[[Any], Awaitable[Any]], cmd: Any) -> Any:
        job_id = current_job_context().get("job_id")
        if job_id is not None:
            cmd.add_headers({JOB_ID_HEADER: job_id}, override=False)
        return await call_next(cmd)


def _key_text(msg: StreamMessage[Any]) -> str | None:
    """Messages are keyed by job_id: the key stands in when the header is missing."""
    raw = getattr(msg.raw_message, "key", None)
    if isinstance(raw, bytes):
        return raw.decode(errors="replace")
    return None
