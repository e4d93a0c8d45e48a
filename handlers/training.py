"""The training worker: `TrainPolicy` in; the run then reports through events itself."""

from typing import TYPE_CHECKING, Any

from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.middlewares import AckPolicy

from brokers.factory import subscriber_options
from brokers.topics import command_topic
from handlers.publishing import failure_policy
from schemas.messages import OPTIMISING as STAGE
from schemas.messages import TrainPolicy

if TYPE_CHECKING:
    from fragrance_ai.workers.training import TrainingRunner

ROLE = "training"


def build_router(settings: Any, broker: KafkaBroker) -> KafkaRouter:
    router = KafkaRouter(middlewares=failure_policy(settings, broker, STAGE))

    @router.subscriber(
        command_topic(ROLE),
        **subscriber_options(settings, ROLE),
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def on_train_policy(command: TrainPolicy) -> None:
        runner: TrainingRunner = broker.context.get("training_runner")
        await runner.take(command)

    return router
