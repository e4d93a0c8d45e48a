"""The dead letter policy, on FastStream's in-memory broker: what is dead-lettered, with
which reason and origin, when a job fails with it, and what is retried instead."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import orjson
import pytest
from faststream.kafka import KafkaBroker, KafkaMessage, KafkaRouter, TestKafkaBroker
from faststream.middlewares import AckPolicy
from pydantic import ValidationError

from brokers.dead_letter import dead_letter_middleware, describe
from brokers.topics import DEAD_LETTER_TOPIC, EVENTS_TOPIC
from schemas.messages import InterpretBrief, JobFailed

COMMANDS = "test.commands"


@dataclass
class Worker:
    """A broker whose one command handler fails as told, and what came out of it."""

    broker: KafkaBroker
    failure: BaseException | None = None
    handled: list[InterpretBrief] = field(default_factory=list)
    dead: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def worker() -> Worker:
    broker = KafkaBroker()
    state = Worker(broker)
    middleware = dead_letter_middleware(
        broker, transient=(ConnectionError,), backoff_s=0.0, failing_stage="interpreting"
    )
    router = KafkaRouter(middlewares=[middleware])

    @router.subscriber(COMMANDS, group_id="g", ack_policy=AckPolicy.NACK_ON_ERROR)
    async def on_command(command: InterpretBrief) -> None:
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
    return InterpretBrief(job_id=uuid4(), text="musk", **fields).model_dump_json().encode()


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


async def test_a_transient_failure_is_raised_for_redelivery_not_dead_lettered(
    worker: Worker,
) -> None:
    worker.failure = ConnectionError("database restarting")
    async with TestKafkaBroker(worker.broker) as broker:
        with pytest.raises(ConnectionError):
            await broker.publish(command(), COMMANDS)

    assert worker.dead == []
    assert worker.events == []


def test_the_reason_lists_every_invalid_field() -> None:
    with pytest.raises(ValidationError) as caught:
        InterpretBrief.model_validate({"job_id": "x", "text": ""})

    reason = describe(caught.value, b'{"job_id": "x", "text": ""}')

    assert reason.startswith("invalid message: ")
    assert "job_id: " in reason and "text: " in reason
