"""What the run sends: formulation jobs and training runs over HTTP to whichever API
answers, and poison messages straight onto the command topics.

A request that gets no answer (its API killed, the database restarting) is sent again,
to the other API, under the same Idempotency-Key: the job it may have created is then
answered again rather than made twice. A job counts as accepted once a 202 names it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import aiohttp
import orjson
from aiokafka import AIOKafkaProducer

from brokers.topics import command_topic
from tests.integration.conftest import bearer

# Answers that say "not now": the API or one of its dependencies is down or restarting.
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass
class Accepted:
    jobs: list[UUID] = field(default_factory=list)
    training_runs: list[UUID] = field(default_factory=list)
    retries: int = 0
    """Requests sent again after no answer or a 'not now' one."""
    replays: int = 0
    """202s answered from a kept Idempotency-Key: the first attempt had created the job."""


@dataclass
class Client:
    urls: list[str]
    key: str
    accepted: Accepted = field(default_factory=Accepted)
    give_up_s: float = 600.0

    async def post(self, session: aiohttp.ClientSession, path: str, body: Any, turn: int) -> UUID:
        """POST until an API accepts it; the job's id."""
        headers = {**bearer(self.key), "Idempotency-Key": str(uuid.uuid4())}
        deadline = time.monotonic() + self.give_up_s
        while True:
            url = self.urls[turn % len(self.urls)]
            turn += 1
            try:
                async with session.post(f"{url}{path}", json=body, headers=headers) as reply:
                    text = await reply.text()
                    if reply.status == 202:
                        if reply.headers.get("Idempotent-Replayed") == "true":
                            self.accepted.replays += 1
                        return UUID(orjson.loads(text)["job_id"])
                    if reply.status not in RETRIED_STATUSES:
                        raise AssertionError(f"POST {path} answered {reply.status}: {text}")
            except (aiohttp.ClientError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"no API accepted POST {path} within {self.give_up_s:g}s")
            self.accepted.retries += 1
            await asyncio.sleep(0.5)

    async def submit_jobs(self, count: int, over_s: float, brief: str) -> None:
        """`count` formulation jobs, spread evenly over `over_s` seconds."""
        gate = asyncio.Semaphore(16)
        started = time.monotonic()
        timeout = aiohttp.ClientTimeout(total=15)
        async with aiohttp.ClientSession(timeout=timeout) as session:

            async def one(i: int) -> None:
                await asyncio.sleep(max(0.0, started + i * over_s / count - time.monotonic()))
                async with gate:
                    job = await self.post(session, "/v1/formulations", {"brief": brief}, i)
                self.accepted.jobs.append(job)

            await asyncio.gather(*(one(i) for i in range(count)))

    async def start_training(self, runs: int, options: dict[str, Any]) -> None:
        timeout = aiohttp.ClientTimeout(total=15)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for i in range(runs):
                body = {**options, "seed": i + 1}
                job = await self.post(session, "/v1/training-runs", body, i)
                self.accepted.training_runs.append(job)


@dataclass(frozen=True)
class Poison:
    topic: str
    partition: int
    offset: int


async def inject_poison(bootstrap: str, per_topic: int) -> list[Poison]:
    """Malformed commands on each command topic, half not JSON, half not a command."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    sent: list[Poison] = []
    try:
        for role in ("llm", "rl", "training"):
            for i in range(per_topic):
                value = b"{not json" if i % 2 == 0 else orjson.dumps({"job_id": "poison"})
                key = f"poison-{role}-{i}".encode()
                meta = await producer.send_and_wait(command_topic(role), value, key=key)
                sent.append(Poison(meta.topic, meta.partition, meta.offset))
    finally:
        await producer.stop()
    return sent
