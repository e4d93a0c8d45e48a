"""The dead letter policy, on FastStream's in-memory broker: what is dead-lettered, with
which reason and origin, when a job fails with it, and what is retried instead, how
often and after how long."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import asyncpg
import orjson
import pytest
from aiokafka.errors import RecordTooLargeError
from faststream.kafka import KafkaBroker, KafkaMessage, KafkaRouter, TestKafkaBroker
from faststream.middlewares import AckPolicy
from pydantic import ValidationError

from brokers.dead_letter import dead_letter_middleware, delivery_attempt, describe
from brokers.topics import DEAD_LETTER_TOPIC, EVENTS_TOPIC
from schemas.messages import InterpretBrief, JobFailed

COMMANDS = "test.commands"
MAX_ATTEMPTS = 3


@dataclass
class Worker:
    """A broker whose one command handler fails as told, and what came out of it."""

    broker: KafkaBroker
    failure: BaseException | None = None
    """Raised by every attempt, after `failures` ran out."""
    failures: list[BaseException] = field(default_factory=list)
    """Raised by the first attempts, one each."""
    attempts: list[int] = field(default_factory=list)
    waits: list[int] = field(default_factory=list)
    handled: list[InterpretBrief] = field(default_factory=list)
    dead: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def worker() -> Worker:
    broker = KafkaBroker()
    state = Worker(broker)

    def no_wait(failed: int) -> float:
        state.waits.append(failed)
        return 0.0

    middleware = dead_letter_middleware(
        broker, max_attempts=MAX_ATTEMPTS, delay_s=no_wait, failing_stage="interpreting"
    )
    router = KafkaRouter(middlewares=[middleware])

    @router.subscriber(COMMANDS, group_id="g", ack_policy=AckPolicy.NACK_ON_ERROR)
    async def on_command(command: InterpretBrief) -> None:
        state.attempts.append(delivery_attempt())
        if state.failures:
            raise state.failures.pop(0)
        if state.failure is not None:
            raise state.failure
        state.handled.append(command)

    @broker.subscriber(DEAD_LETTER_TOPIC)
    async def on_dead_letter(body: Any, msg: KafkaMessage) -> None:
        state.dead.append((msg.body, dict(msg.headers)))

    @broker.subscriber(EVENTS_TOPIC)
    async def on_event(event: dict[str, Any]) -> None:
        state.events.append(event)

    broker.include_router(router)
    return state


def command(**fields: Any) -> bytes:
    return (
        InterpretBrief(**{"job_id": uuid4(), "text": "musk", **fields}).model_dump_json().encode()
    )


async def test_a_body_that_is_not_json_is_dead_lettered_as_undecodable(worker: Worker) -> None:
    async with TestKafkaBroker(worker.broker) as broker:
        await broker.publish(b"{not json", COMMANDS, key=b"k1")
        await broker.publish(command(), COMMANDS, key=b"k1")

    [(body, headers)] = worker.dead
    assert body == b"{not json"
    assert headers["dead_letter.reason"].startswith("undecodable message: not JSON")
    assert headers["dead_letter.topic"] == COMMANDS
    assert headers["dead_letter.partition"].isdigit()
    assert headers["dead_letter.offset"].isdigit()
    assert len(worker.handled) == 1, "the next message was not processed"
    assert worker.events == [], "no job named: nothing to fail"


async def test_a_schema_invalid_command_names_the_field_and_fails_its_job(worker: Worker) -> None:
    job_id = uuid4()
    async with TestKafkaBroker(worker.broker) as broker:
        await broker.publish(
            orjson.dumps({"job_id": str(job_id), "text": ""}),
            COMMANDS,
            headers={"job_id": str(job_id)},
        )

    [(_, headers)] = worker.dead
    assert headers["dead_letter.reason"].startswith("invalid message: ")
    assert "text" in headers["dead_letter.reason"]
    [event] = worker.events
    failed = JobFailed.model_validate(event)
    assert (failed.job_id, failed.stage) == (job_id, "interpreting")
    assert failed.reason == "the job's message could not be processed"
    assert failed.detail == headers["dead_letter.reason"]  # for operators only


async def test_a_failing_handler_dead_letters_with_the_error(worker: Worker) -> None:
    worker.failure = RuntimeError("the model refused")
    async with TestKafkaBroker(worker.broker) as broker:
        await broker.publish(command(), COMMANDS)

    [(_, headers)] = worker.dead
    assert headers["dead_letter.reason"] == "processing failed: RuntimeError: the model refused"


async def test_a_transient_failure_is_tried_again_after_a_backoff_until_it_succeeds(
    worker: Worker,
) -> None:
    worker.failures = [
        ConnectionError("database restarting"),
        asyncpg.AdminShutdownError("terminating connection"),
    ]
    async with TestKafkaBroker(worker.broker) as broker:
        await broker.publish(command(), COMMANDS)

    assert worker.attempts == [1, 2, 3]
    assert worker.waits == [1, 2], "a backoff after each failed attempt"
    assert len(worker.handled) == 1
    assert worker.dead == [] and worker.events == []


async def test_a_failure_that_stays_transient_is_dead_lettered_after_the_last_attempt(
    worker: Worker,
) -> None:
    job_id = uuid4()
    worker.failure = asyncpg.TooManyConnectionsError("sorry, too many clients already")
    async with TestKafkaBroker(worker.broker) as broker:
        await broker.publish(
            command(job_id=job_id), COMMANDS, key=b"k", headers={"job_id": str(job_id)}
        )

    assert worker.attempts == [1, 2, 3]
    [(_, headers)] = worker.dead
    assert headers["dead_letter.attempts"] == "3"
    assert headers["dead_letter.error"] == "TooManyConnectionsError"
    assert headers["dead_letter.topic"] == COMMANDS
    assert headers["dead_letter.offset"].isdigit()
    [event] = worker.events
    failed = JobFailed.model_validate(event)
    assert failed.reason.startswith("gave up after 3 attempts: a service the job needs")
    assert "TooManyConnectionsError" in failed.detail


@pytest.mark.parametrize(
    "failure",
    [
        asyncpg.UniqueViolationError("duplicate key"),
        RecordTooLargeError("the message is larger than the broker accepts"),
        FileNotFoundError("checkpoint.pt"),
    ],
    ids=type,
)
async def test_a_permanent_failure_is_dead_lettered_at_its_first_attempt(
    worker: Worker, failure: BaseException
) -> None:
    worker.failure = failure
    async with TestKafkaBroker(worker.broker) as broker:
        await broker.publish(command(), COMMANDS)

    assert worker.attempts == [1]
    [(_, headers)] = worker.dead
    assert headers["dead_letter.attempts"] == "1"
    assert headers["dead_letter.error"] == type(failure).__name__


async def test_events_still_failing_after_the_last_attempt_are_redelivered_not_dropped() -> None:
    broker = KafkaBroker()
    dead: list[bytes] = []
    middleware = dead_letter_middleware(
        broker, max_attempts=2, delay_s=lambda failed: 0.0, redeliver_when_exhausted=True
    )
    router = KafkaRouter(middlewares=[middleware])

    @router.subscriber(EVENTS_TOPIC, group_id="g", ack_policy=AckPolicy.NACK_ON_ERROR)
    async def on_event(event: dict[str, Any]) -> None:
        raise asyncpg.CannotConnectNowError("the database system is starting up")

    @broker.subscriber(DEAD_LETTER_TOPIC)
    async def on_dead_letter(body: Any, msg: KafkaMessage) -> None:
        dead.append(msg.body)

    broker.include_router(router)
    async with TestKafkaBroker(broker) as test_broker:
        with pytest.raises(asyncpg.CannotConnectNowError):
            await test_broker.publish({"job_id": str(uuid4())}, EVENTS_TOPIC)

    assert dead == []


def test_the_reason_lists_every_invalid_field() -> None:
    with pytest.raises(ValidationError) as caught:
        InterpretBrief.model_validate({"job_id": "x", "text": ""})

    reason = describe(caught.value, b'{"job_id": "x", "text": ""}')

    assert reason.startswith("invalid message: ")
    assert "job_id: " in reason and "text: " in reason
