"""What a `Context(...)` handler parameter costs per message (issue 16), beside the
same handler taking its object from the broker's context itself.

FastStream resolves a `Context(...)` parameter through fast_depends, which runs the
field's synchronous resolver in a worker thread (`anyio.to_thread.run_sync`) in a task
group of its own: a thread hop for every message. The handlers in `handlers/` take
what they need from `broker.context` instead. Both handlers here are driven through
FastStream's in-memory test broker, so decoding, middlewares and acknowledgement are
the same and only the resolution differs. CPU time per message, the process's.

Run: python bench/handler_context.py [--messages 3000]
"""

import argparse
import asyncio
import time
from typing import Annotated

from faststream import Context
from faststream.kafka import KafkaBroker, TestKafkaBroker
from pydantic import BaseModel


class Job(BaseModel):
    job_id: int


class Counter:
    def __init__(self) -> None:
        self.seen = 0

    def take(self, job: Job) -> None:
        self.seen += 1


def parameter_broker() -> KafkaBroker:
    broker = KafkaBroker()

    @broker.subscriber("jobs")
    async def handle(job: Job, counter: Annotated[Counter, Context("counter")]) -> None:
        counter.take(job)

    return broker


def context_get_broker() -> KafkaBroker:
    broker = KafkaBroker()

    @broker.subscriber("jobs")
    async def handle(job: Job) -> None:
        counter: Counter = broker.context.get("counter")
        counter.take(job)

    return broker


async def cpu_ms_per_message(broker: KafkaBroker, messages: int) -> float:
    counter = Counter()
    broker.context.set_global("counter", counter)
    async with TestKafkaBroker(broker) as test:
        for n in range(50):  # warm up
            await test.publish(Job(job_id=n), "jobs")
        started = time.process_time()
        for n in range(messages):
            await test.publish(Job(job_id=n), "jobs")
        used = time.process_time() - started
    if counter.seen != messages + 50:
        raise RuntimeError(f"handled {counter.seen} of {messages + 50} messages")
    return used / messages * 1000


async def main(messages: int) -> None:
    parameter = await cpu_ms_per_message(parameter_broker(), messages)
    context_get = await cpu_ms_per_message(context_get_broker(), messages)
    print(f"{messages} messages through FastStream's test broker, CPU ms per message")
    print(f"  Context(...) parameter        {parameter:8.3f}")
    print(f"  broker.context.get (ours)     {context_get:8.3f}")
    print(f"  ratio parameter / ours        {parameter / context_get:8.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    asyncio.run(main(parser.parse_args().messages))
