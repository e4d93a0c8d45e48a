"""Every service's log records onto Kafka's `fragrance.logs`, for `fragrance-ai logs --follow`.

A handler on the root logger renders each record as the JSON line the service would
write (the same processors, so `job_id` and `correlation_id` are in it where bound) and
appends it to a bounded buffer; a task sends the buffer every `every_s` with a producer
of its own, keyed by the bound `job_id` so one job's lines keep their order, the service
named in a header. Shipping never holds the service up: when Kafka is slow or away the
oldest lines are dropped, and a failed send is counted, not retried. The Kafka client's
own loggers are not shipped: their lines about sending would feed themselves.

Libraries' INFO lines are shipped even where the console holds them back: FastStream's
"Received" and "Processed", with the job's keys, are what a job's trail is made of.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Mapping
from types import TracebackType
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from brokers.security import client_options
from brokers.topics import LOGS_TOPIC
from fragrance_ai.logs import EXPECTED_LIBRARY_WARNINGS, record_formatter

SERVICE_HEADER = "service"
NOT_SHIPPED = ("aiokafka", "kafka")
STOP_S = 2.0
Line = tuple[bytes | None, bytes]


class ShippingHandler(logging.Handler):
    """Renders records as JSON lines into a buffer that drops its oldest when full."""

    def __init__(self, buffer: deque[Line]) -> None:
        super().__init__()
        self.buffer = buffer
        self.setFormatter(record_formatter("json"))

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.partition(".")[0] in NOT_SHIPPED:
            return
        if record.getMessage() in EXPECTED_LIBRARY_WARNINGS:
            return
        try:
            line = self.format(record).encode()
        except Exception:
            self.handleError(record)
            return
        job_id = structlog.contextvars.get_contextvars().get("job_id")
        self.buffer.append((str(job_id).encode() if job_id else None, line))


class LogShipper:
    """While open, this process's log records go to LOGS_TOPIC as `service`."""

    def __init__(
        self,
        bootstrap_servers: str,
        service: str,
        capacity: int = 10_000,
        every_s: float = 0.2,
        security: Mapping[str, Any] | None = None,
    ) -> None:
        self.service = service
        self.every_s = every_s
        self.failed_sends = 0
        self._buffer: deque[Line] = deque(maxlen=capacity)
        self._handler = ShippingHandler(self._buffer)
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers,
            client_id=f"fragrance-logs-{service}",
            acks=1,
            **(security or {}),
        )
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> LogShipper:
        await self._producer.start()
        logging.getLogger().addHandler(self._handler)
        self._task = asyncio.create_task(self._ship_forever(), name="log shipping")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        logging.getLogger().removeHandler(self._handler)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        # The last lines get a moment; a broker already gone must not hold the stop up.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(STOP_S):
                await self._ship_buffer()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(STOP_S):
                await self._producer.stop()

    async def _ship_forever(self) -> None:
        while True:
            await asyncio.sleep(self.every_s)
            await self._ship_buffer()

    async def _ship_buffer(self) -> None:
        header = [(SERVICE_HEADER, self.service.encode())]
        sent: list[asyncio.Future[Any]] = []
        try:
            while self._buffer:
                key, line = self._buffer.popleft()
                sent.append(await self._producer.send(LOGS_TOPIC, line, key=key, headers=header))
        except KafkaError:
            self.failed_sends += 1
        results = await asyncio.gather(*sent, return_exceptions=True)
        self.failed_sends += sum(isinstance(result, Exception) for result in results)


async def shipping_logs(settings: Any, service: str, work: Awaitable[None]) -> None:
    """Run `work` with this process's logs shipped as `service` when `log.ship` is on."""
    if not settings.log.ship or not settings.kafka.bootstrap_servers:
        await work
        return
    servers = str(settings.kafka.bootstrap_servers)
    async with LogShipper(servers, service, security=client_options(settings.kafka)):
        await work
