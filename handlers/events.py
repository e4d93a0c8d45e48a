"""The recorder, in the API process: worker events land in PostgreSQL and route the job."""

from typing import Any

from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.middlewares import AckPolicy

from brokers.factory import subscriber_options
from brokers.topics import EVENTS_TOPIC
from fragrance_ai.jobs.service import EventRecorder
from handlers.publishing import failure_policy
from schemas.messages import EventMessage

ROLE = "recorder"


def build_router(settings: Any, broker: KafkaBroker) -> KafkaRouter:
    router = KafkaRouter(middlewares=failure_policy(settings, broker))

    @router.subscriber(
        EVENTS_TOPIC, **subscriber_options(settings, ROLE), ack_policy=AckPolicy.NACK_ON_ERROR
    )
    async def on_job_event(event: EventMessage) -> None:
        recorder: EventRecorder = broker.context.get("event_recorder")
        await recorder.record(event)

    return router
