"""What a subscriber cannot process goes to the dead letter topic, with why.

Three outcomes for a message whose handler raised:
- it cannot be decoded or validated: dead letter, consumer moves on;
- a dependency is briefly unreachable (broker, database): wait a backoff, then
  re-raise so the message is redelivered (never a tight seek loop);
- any other failure: dead letter, and for a command a `JobFailed` event names the
  reason, so the job ends as failed instead of waiting forever.

The original value and key travel unchanged; headers say the reason and where the
message came from (topic, partition, offset), so it can be inspected and replayed.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import orjson
import structlog
from faststream import BaseMiddleware, StreamMessage
from faststream.kafka import KafkaBroker
from pydantic import ValidationError

from brokers.middlewares import JOB_ID_HEADER
from brokers.topics import DEAD_LETTER_TOPIC, EVENTS_TOPIC
from schemas.messages import JobFailed

log = structlog.get_logger(__name__)

UNDECODABLE = (ValidationError, orjson.JSONDecodeError, UnicodeDecodeError)


def dead_letter_headers(msg: StreamMessage[Any], reason: str) -> dict[str, str]:
    record = msg.raw_message
    return {
        "dead_letter.reason": reason[:2000],
        "dead_letter.topic": str(getattr(record, "topic", "")),
        "dead_letter.partition": str(getattr(record, "partition", "")),
        "dead_letter.offset": str(getattr(record, "offset", "")),
    }


def describe(exc: BaseException, body: bytes) -> str:
    if isinstance(exc, ValidationError) and not is_json(body):
        # FastStream hands a body that is not JSON on as raw bytes, so the schema
        # complains about its type; the reason a reader needs is that it is not JSON.
        return f"undecodable message: not JSON: {body[:80]!r}"
    if isinstance(exc, ValidationError):
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
        )
        return f"invalid message: {problems}"
    if isinstance(exc, UNDECODABLE):
        return f"undecodable message: {exc}"
    return f"processing failed: {type(exc).__name__}: {exc}"


def is_json(body: bytes) -> bool:
    try:
        orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    return True


def job_id_of(msg: StreamMessage[Any]) -> UUID | None:
    try:
        return UUID(msg.headers.get(JOB_ID_HEADER, ""))
    except ValueError:
        return None


def dead_letter_middleware(
    broker: KafkaBroker,
    *,
    transient: tuple[type[BaseException], ...],
    backoff_s: float,
    failing_stage: str | None = None,
) -> type[BaseMiddleware]:
    """A subscriber middleware for `broker`. `transient` errors are retried after
    `backoff_s`; with `failing_stage`, a message that fails for good also fails its job."""

    class DeadLetterMiddleware(BaseMiddleware):
        async def consume_scope(
            self,
            call_next: Callable[[StreamMessage[Any]], Awaitable[Any]],
            msg: StreamMessage[Any],
        ) -> Any:
            try:
                return await call_next(msg)
            except transient as exc:
                log.warning("dependency unavailable, will redeliver", error=str(exc))
                await asyncio.sleep(backoff_s)
                raise
            except Exception as exc:
                await self.give_up(msg, exc)
                return None

        async def give_up(self, msg: StreamMessage[Any], exc: Exception) -> None:
            reason = describe(exc, msg.body)
            headers = dead_letter_headers(msg, reason)
            key = getattr(msg.raw_message, "key", None)
            await broker.publish(msg.body, DEAD_LETTER_TOPIC, key=key, headers=headers)
            log.warning("message sent to dead letter topic", **headers)
            job_id = job_id_of(msg)
            if failing_stage and job_id is not None:
                failed = JobFailed(
                    job_id=job_id,
                    stage=failing_stage,
                    reason="the job's message could not be processed",
                    detail=reason,
                )
                await broker.publish(failed, EVENTS_TOPIC, key=str(job_id).encode())

    return DeadLetterMiddleware
