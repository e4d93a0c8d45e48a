"""FastStream middleware that carries ``job_id`` and the correlation id through Kafka.

On receive it binds both from the record (``job_id`` header, or the key; FastStream's
own ``correlation_id`` header) for every log line about that message; on publish it copies the
bound ``job_id`` into the outgoing headers. The correlation id travels through
``correlation_id_from_context``, the broker's id generator, so a message published
while handling another inherits its correlation id.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any
from uuid import uuid4

import structlog
from faststream import BaseMiddleware

from fragrance_ai.logs import current_job_context

JOB_ID_HEADER = "job_id"
CORRELATION_ID_HEADER = "correlation_id"

log = structlog.get_logger(__name__)


def correlation_id_from_context() -> str:
    """The correlation id bound to the current task, or a fresh one."""
    return current_job_context().get("correlation_id") or str(uuid4())


class JobContextMiddleware(BaseMiddleware):
    # Bound in on_receive, before FastStream logs "Received", so its access lines carry
    # the job keys too; the raw message is aiokafka's ConsumerRecord.
    _tokens: Mapping[str, contextvars.Token[Any]] | None = None

    async def on_receive(self) -> None:
        headers = _headers(self.msg)
        job_id = headers.get(JOB_ID_HEADER) or _key_text(self.msg)
        values = {"job_id": job_id, "correlation_id": headers.get(CORRELATION_ID_HEADER)}
        self._tokens = structlog.contextvars.bind_contextvars(
            **{key: value for key, value in values.items() if value}
        )

    async def after_processed(
        self,
        exc_type: type[BaseException] | None = None,
        exc_val: BaseException | None = None,
        exc_tb: TracebackType | None = None,
    ) -> bool | None:
        if self._tokens is not None:
            structlog.contextvars.reset_contextvars(**self._tokens)
        return False

    async def publish_scope(self, call_next: Callable[[Any], Awaitable[Any]], cmd: Any) -> Any:
        job_id = current_job_context().get("job_id")
        if job_id is not None:
            cmd.add_headers({JOB_ID_HEADER: job_id}, override=False)
        return await call_next(cmd)


def _headers(record: Any) -> dict[str, str]:
    raw = getattr(record, "headers", None) or ()
    return {key: value.decode(errors="replace") for key, value in raw if value is not None}


def _key_text(record: Any) -> str | None:
    """Messages are keyed by job_id: the key stands in when the header is missing."""
    raw = getattr(record, "key", None)
    if isinstance(raw, bytes):
        return raw.decode(errors="replace")
    return None
