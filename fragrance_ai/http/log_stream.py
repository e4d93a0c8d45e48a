"""`GET /v1/logs?job_id=&service=`: every service's log records, live, as Server-Sent
Events, for admin keys (log lines name workers, hosts and errors).

Each stream reads Kafka's `fragrance.logs` with a consumer of its own, outside any group,
from the end of every partition: it shows what happens from now on. Once positioned it
sends a `following` event, so a client knows that nothing it does next is missed. A
record is kept when its `job_id` is the one asked for and its service is the one asked
for or one of its instances (`worker` matches `worker-llm` and `worker-rl`).
"""

import asyncio
import contextlib
from typing import Any
from uuid import UUID

import orjson
from aiohttp import web
from aiohttp_sse import sse_response
from aiokafka import AIOKafkaConsumer, TopicPartition

from brokers.log_shipping import SERVICE_HEADER
from brokers.security import client_options
from brokers.topics import LOGS_TOPIC
from fragrance_ai.http.auth import requires
from fragrance_ai.http.keys import SETTINGS, STREAMS
from fragrance_ai.store import Scope

POLL_MS = 1000


def wanted(record: dict[str, Any], service: str, job_id: str | None, of: str | None) -> bool:
    """Whether a record of `service` passes the filters `job_id` and service `of`."""
    if job_id is not None and record.get("job_id") != job_id:
        return False
    return of is None or service == of or service.startswith(f"{of}-")


def parse_filters(request: web.Request) -> tuple[str | None, str | None]:
    job_id = request.query.get("job_id") or None
    if job_id is not None:
        try:
            job_id = str(UUID(job_id))
        except ValueError:
            raise web.HTTPBadRequest(text=f"job_id must be a job id, not {job_id[:40]!r}") from None
    return job_id, request.query.get("service") or None


async def positioned_at_the_end(settings: Any) -> AIOKafkaConsumer:
    kafka = settings.kafka
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka.bootstrap_servers,
        client_id=f"{kafka.client_id}-logs",
        enable_auto_commit=False,
        fetch_max_wait_ms=int(kafka.consumer.fetch_max_wait_ms),
        **client_options(kafka),
    )
    await consumer.start()
    partitions = consumer.partitions_for_topic(LOGS_TOPIC)
    if not partitions:
        await consumer.stop()
        raise web.HTTPServiceUnavailable(
            text=f"no topic {LOGS_TOPIC} yet: `fragrance-ai topics create` or a worker makes it"
        )
    assigned = [TopicPartition(LOGS_TOPIC, p) for p in sorted(partitions)]
    consumer.assign(assigned)
    await consumer.seek_to_end(*assigned)
    for partition in assigned:  # resolves each position now, not at the first fetch
        await consumer.position(partition)
    return consumer


@requires(Scope.ADMIN)
async def stream_logs(request: web.Request) -> web.StreamResponse:
    job_id, service_of = parse_filters(request)
    consumer = await positioned_at_the_end(request.app[SETTINGS])
    try:
        async with sse_response(request) as response:
            request.app[STREAMS].add(response)
            with contextlib.suppress(ConnectionResetError):
                await response.send("{}", event="following")
                while response.is_connected():
                    batches = await consumer.getmany(timeout_ms=POLL_MS)
                    for message in (m for batch in batches.values() for m in batch):
                        service = dict(message.headers).get(SERVICE_HEADER, b"").decode()
                        record = orjson.loads(message.value)
                        if wanted(record, service, job_id, service_of):
                            line = orjson.dumps({"service": service, **record}).decode()
                            await response.send(line, event="log")
    finally:
        await asyncio.shield(consumer.stop())
    return response
