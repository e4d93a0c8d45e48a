"""The LLM worker: `InterpretBrief` in, `BriefInterpreted` or `JobFailed` out."""

from typing import Any

from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.middlewares import AckPolicy

from brokers.factory import subscriber_options
from brokers.topics import EVENTS_TOPIC, command_topic
from fragrance_ai.workers.interpreting import STAGE, InterpretingStage
from handlers.publishing import failure_policy, run_stage, worker_instance_id
from schemas.messages import EventMessage, InterpretBrief

ROLE = "llm"


def build_router(settings: Any, broker: KafkaBroker) -> KafkaRouter:
    router = KafkaRouter(middlewares=failure_policy(settings, broker, STAGE))
    to_events = router.publisher(EVENTS_TOPIC, title=f"{EVENTS_TOPIC}:{ROLE}", schema=EventMessage)
    worker = worker_instance_id(settings)

    @router.subscriber(
        command_topic(ROLE),
        **subscriber_options(settings, ROLE),
        ack_policy=AckPolicy.NACK_ON_ERROR,
        max_workers=int(settings.workers.llm.concurrency),
    )
    async def on_interpret_brief(command: InterpretBrief) -> None:
        stage: InterpretingStage = broker.context.get("interpreting_stage")
        await run_stage(to_events, stage, STAGE, worker, command)

    return router
