"""`fragrance-ai api`: the HTTP front door, the event recorder and the outbox relay."""

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from typing import Any, cast

import structlog
from aiohttp import web
from dynaconf import Dynaconf
from faststream.kafka import KafkaBroker

from brokers.factory import make_broker
from brokers.middlewares import CORRELATION_ID_HEADER
from fragrance_ai.http.app import init_app
from fragrance_ai.http.keys import NOTIFIER, SETTINGS, STORE
from fragrance_ai.jobs.relay import OutboxRelay, Send
from fragrance_ai.jobs.retry import RetryPolicy
from fragrance_ai.jobs.service import EventRecorder
from fragrance_ai.jobs.sweeper import Sweeper, sweep_policy
from fragrance_ai.jobs.undeliverable import fail_its_job
from fragrance_ai.metrics.jobs import PrometheusSweepCounts
from fragrance_ai.probes import READINESS, broker_check
from fragrance_ai.programs.lifecycle import StartupError
from fragrance_ai.programs.ports import start_site
from fragrance_ai.programs.stopping import bounded, close_kafka_clients
from fragrance_ai.store import OutboxMessage
from handlers import events

log = structlog.get_logger(__name__)


def outbox_send(broker: KafkaBroker) -> Send:
    """The relay's `send` on `broker`: enqueued on the producer, acknowledged later."""

    async def send(message: OutboxMessage) -> "asyncio.Future[Any]":
        acknowledgement = await broker.publish(
            message.payload,
            message.topic,
            key=message.key.encode() if message.key else None,
            headers=message.headers,
            correlation_id=message.headers.get(CORRELATION_ID_HEADER),
            no_confirm=True,
        )
        return cast("asyncio.Future[Any]", acknowledgement)

    return send


async def kafka(app: web.Application) -> AsyncIterator[None]:
    """The events consumer that records and routes jobs, and the outbox relay; after the
    database."""
    settings, store = app[SETTINGS], app[STORE]
    broker = make_broker(settings)
    broker.include_router(events.build_router(settings, broker))
    broker.context.set_global("event_recorder", EventRecorder(store))

    await broker.start()
    app[READINESS].add("broker", broker_check(broker, settings.kafka.bootstrap_servers))
    outbox = settings.outbox
    relay = OutboxRelay(
        store,
        app[NOTIFIER],
        outbox_send(broker),
        batch_size=int(outbox.batch_size),
        retry=RetryPolicy(
            int(outbox.max_attempts),
            float(outbox.retry_backoff_s),
            float(outbox.retry_backoff_max_s),
        ),
        on_set_aside=fail_its_job(EventRecorder(store)),
    )
    relay.start()
    yield
    await relay.stop()
    await close_kafka_clients(broker, settings, "API")


async def sweeper(app: web.Application) -> AsyncIterator[None]:
    """Stalled jobs re-driven or failed, and retention, in one API replica at a time."""
    owner = f"api:{socket.gethostname()}:{os.getpid()}"
    policy = sweep_policy(app[SETTINGS])
    sweeping = Sweeper(app[STORE], owner, policy, counts=PrometheusSweepCounts())
    sweeping.start()
    yield
    await sweeping.stop()


def api_app(settings: Dynaconf) -> web.Application:
    """The HTTP application with the API process's Kafka side and sweeper added, which
    start after its database and stop before it."""
    app = init_app(settings)
    app.cleanup_ctx.extend([kafka, sweeper])
    return app


def require_endpoints(settings: Dynaconf) -> None:
    missing = [
        name
        for name, value in (
            ("kafka.bootstrap_servers (KAFKA_BOOTSTRAP_SERVERS)", settings.kafka.bootstrap_servers),
            ("database.url (DATABASE_URL)", settings.database.url),
        )
        if not value
    ]
    if missing:
        raise StartupError(
            f"{' and '.join(missing)} not set: configure them, or run `fragrance-ai dev` "
            "to start an embedded broker and database"
        )


async def serve_api(
    settings: Dynaconf, stop: asyncio.Event, listening: asyncio.Event | None = None
) -> None:
    require_endpoints(settings)
    step_s = float(settings.shutdown.step_s)
    # Requests in flight get step_s; then the resources close, the Kafka clients last.
    runner = web.AppRunner(
        api_app(settings), access_log_class=web.AccessLogger, shutdown_timeout=step_s
    )
    await runner.setup()
    try:
        await start_site(runner, settings.api.host, int(settings.api.port), "the API")
        log.info("api listening", url=f"http://{settings.api.host}:{settings.api.port}")
        if listening is not None:
            listening.set()
        await stop.wait()
    finally:
        within_s = float(settings.kafka.consumer.graceful_timeout_s) + 3 * step_s
        await bounded(runner.cleanup(), "closing the API's server and resources", within_s)
