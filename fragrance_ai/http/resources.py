"""The API process's resources, one `cleanup_ctx` generator each: start above the
`yield`, stop below it, in reverse order of start."""

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from typing import Any, cast

import structlog
from aiohttp import web
from aiohttp_sse import EventSourceResponse
from faststream.kafka import KafkaBroker

from brokers.factory import make_broker
from fragrance_ai.http.auth import KeyChecker
from fragrance_ai.http.keys import (
    EVENT_FEED,
    KEY_CHECKER,
    NOTIFIER,
    READINESS,
    SETTINGS,
    STORE,
    STREAMS,
)
from fragrance_ai.http.readiness import Check
from fragrance_ai.jobs.feed import JobEventFeed
from fragrance_ai.jobs.recorder import EventRecorder
from fragrance_ai.jobs.relay import OutboxRelay, Send
from fragrance_ai.jobs.retry import RetryPolicy
from fragrance_ai.jobs.sweeper import Sweeper, sweep_policy
from fragrance_ai.jobs.undeliverable import fail_its_job
from fragrance_ai.metrics.sweeper import PrometheusSweepCounts
from fragrance_ai.programs.stopping import close_kafka_clients
from fragrance_ai.store import JobStore, OutboxMessage, migrate, open_pool
from handlers import events

log = structlog.get_logger(__name__)
BROKER_PING_S = 1.5


def database_check(store: JobStore) -> Check:
    async def check() -> None:
        if not await store.ping():
            raise ConnectionError("the database does not answer")

    return check


def broker_check(broker: KafkaBroker, bootstrap_servers: str) -> Check:
    async def check() -> None:
        if not await broker.ping(BROKER_PING_S):
            raise ConnectionError(f"no answer from {bootstrap_servers}")

    return check


async def database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    pool = await open_pool(
        settings.database.url,
        min_size=settings.database.pool_min,
        max_size=settings.database.pool_max,
        acquire_timeout_s=float(settings.database.acquire_timeout_s),
    )
    if settings.database.migrate_on_start:
        await migrate(pool)
    store = JobStore(pool)
    app[STORE] = store
    app[KEY_CHECKER] = KeyChecker(store)
    await store.purge_idempotency_keys()
    app[READINESS].add("database", database_check(store))
    notifier = await store.notifier().start()
    app[NOTIFIER] = notifier
    app[EVENT_FEED] = JobEventFeed(store, notifier)
    yield
    await notifier.stop()
    await pool.close()


def outbox_send(broker: KafkaBroker) -> Send:
    """The relay's `send` on `broker`: enqueued on the producer, acknowledged later."""

    async def send(message: OutboxMessage) -> "asyncio.Future[Any]":
        acknowledgement = await broker.publish(
            message.payload,
            message.topic,
            key=message.key.encode() if message.key else None,
            headers=message.headers,
            correlation_id=message.headers.get("correlation_id"),
            no_confirm=True,
        )
        return cast("asyncio.Future[Any]", acknowledgement)

    return send


async def kafka(app: web.Application) -> AsyncIterator[None]:
    """The events consumer that records and routes jobs, and the outbox relay."""
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


async def close_streams(app: web.Application) -> None:
    """An `on_shutdown` step: aiohttp runs it after the server stops listening and before
    it waits for the requests in flight, so open SSE streams end there and then instead of
    holding that wait up to its timeout."""
    open_streams = app[STREAMS]
    for response in list(open_streams):
        if isinstance(response, EventSourceResponse) and response.is_connected():
            response.stop_streaming()
