"""What a subscriber cannot process goes to the dead letter topic, with why.

Outcomes for a message whose handler raised, by the failure's cause (brokers.failures):
- it cannot be decoded or validated, or fails in a way another try would repeat:
  dead letter at once, and the consumer moves on;
- a dependency is briefly unavailable (a database restarting, a retriable broker
  error, the network): tried again in place, with exponential backoff and jitter, up
  to a bounded number of attempts; after the last, dead letter;
- for a command, a dead letter also fails its job with a `JobFailed` event naming the
  reason, so the job ends as failed instead of waiting forever.

The original value and key travel unchanged; headers say the reason, the error, the
attempts made and where the message came from (topic, partition, offset), so it can be
inspected and replayed.
"""

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import orjson
import structlog
from faststream import BaseMiddleware, StreamMessage
from faststream.kafka import KafkaBroker
from prometheus_client import Counter
from pydantic import ValidationError

from brokers.failures import is_transient
from brokers.middlewares import JOB_ID_HEADER
from brokers.topics import DEAD_LETTER_TOPIC, EVENTS_TOPIC
from schemas.messages import JobFailed

log = structlog.get_logger(__name__)

UNDECODABLE = (ValidationError, orjson.JSONDecodeError, UnicodeDecodeError)

# By origin topic (the command topics and the events topic: a bounded set) and by
# cause: transient, retried to the bound (`exhausted`), or beyond any retry
# (`unprocessable`).
DEAD_LETTERS = Counter(
    "dead_letters_total",
    "Messages sent to the dead letter topic, by the topic they came from and their cause",
    ["topic", "cause"],
)


def dead_letter_headers(
    msg: StreamMessage[Any], reason: str, exc: BaseException, attempts: int
) -> dict[str, str]:
    record = msg.raw_message
    return {
        "dead_letter.reason": reason[:2000],
        "dead_letter.error": type(exc).__name__,
        "dead_letter.attempts": str(attempts),
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


def delivery_attempt() -> int:
    """Which attempt at the message in hand this is, 1 for the first: a handler's events
    say it, so that a job's attempts can be counted."""
    return _attempt.get()


_attempt: contextvars.ContextVar[int] = contextvars.ContextVar("delivery_attempt", default=1)


def dead_letter_middleware(
    broker: KafkaBroker,
    *,
    max_attempts: int,
    delay_s: Callable[[int], float],
    failing_stage: str | None = None,
    redeliver_when_exhausted: bool = False,
) -> type[BaseMiddleware]:
    """A subscriber middleware for `broker`. A transient failure is tried again, up to
    `max_attempts` in all, after `delay_s(failed attempts)`; any other failure, or the
    last attempt's, dead-letters the message, and with `failing_stage` fails its job.
    With `redeliver_when_exhausted` the last transient failure is raised instead, so the
    message is delivered again later: for events, facts that must not be dropped."""

    class DeadLetterMiddleware(BaseMiddleware):
        async def consume_scope(
            self,
            call_next: Callable[[StreamMessage[Any]], Awaitable[Any]],
            msg: StreamMessage[Any],
        ) -> Any:
            for attempt in range(1, max_attempts + 1):
                token = _attempt.set(attempt)
                try:
                    return await call_next(msg)
                except Exception as exc:
                    if not is_transient(exc):
                        await self.give_up(msg, exc, attempt, exhausted=False)
                        return None
                    if attempt == max_attempts:
                        return await self.exhausted(msg, exc, attempt)
                    delay = delay_s(attempt)
                    log.warning(
                        "transient failure, will try again",
                        attempt=attempt, max_attempts=max_attempts, delay_s=round(delay, 3),
                        error=f"{type(exc).__name__}: {exc}",
                    )  # fmt: skip
                    await asyncio.sleep(delay)
                finally:
                    _attempt.reset(token)
            raise AssertionError("unreachable: the last attempt returns or raises")

        async def exhausted(self, msg: StreamMessage[Any], exc: Exception, attempts: int) -> None:
            if not redeliver_when_exhausted:
                await self.give_up(msg, exc, attempts, exhausted=True)
                return
            delay = delay_s(attempts)
            log.warning("still failing, will redeliver", attempts=attempts, error=str(exc))
            await asyncio.sleep(delay)
            raise exc

        async def give_up(
            self, msg: StreamMessage[Any], exc: Exception, attempts: int, *, exhausted: bool
        ) -> None:
            detail = describe(exc, msg.body)
            headers = dead_letter_headers(msg, detail, exc, attempts)
            key = getattr(msg.raw_message, "key", None)
            await broker.publish(msg.body, DEAD_LETTER_TOPIC, key=key, headers=headers)
            cause = "exhausted" if exhausted else "unprocessable"
            DEAD_LETTERS.labels(headers["dead_letter.topic"], cause).inc()
            log.warning("message sent to dead letter topic", **headers)
            job_id = job_id_of(msg)
            if failing_stage and job_id is not None:
                reason = (
                    f"gave up after {attempts} attempts: a service the job needs was "
                    "unavailable; try again later"
                    if exhausted
                    else "the job's message could not be processed"
                )
                failed = JobFailed(job_id=job_id, stage=failing_stage, reason=reason, detail=detail)
                await broker.publish(failed, EVENTS_TOPIC, key=str(job_id).encode())

    return DeadLetterMiddleware
