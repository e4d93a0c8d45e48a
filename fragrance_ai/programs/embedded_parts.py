"""The embedded broker and database started for a program, stopped with its exit stack.

Each part is pushed on the stack as it starts, so the stack stops them in reverse: start
the database first and the broker stops before it. A forced exit (a second Ctrl-C) ends
both at once. Every stop is bounded by `shutdown.step_s`.
"""

import asyncio
from contextlib import AsyncExitStack
from pathlib import Path

import structlog

from fragrance_ai.embedded.broker import EmbeddedBroker
from fragrance_ai.embedded.postgres import EmbeddedPostgres
from fragrance_ai.programs.stopping import at_forced_exit, bounded

log = structlog.get_logger(__name__)


async def start_database(stack: AsyncExitStack, data_dir: Path, step_s: float) -> EmbeddedPostgres:
    postgres = EmbeddedPostgres(data_dir)
    await asyncio.to_thread(postgres.start)
    stack.enter_context(at_forced_exit(postgres.kill))
    stack.push_async_callback(stop_database, postgres, step_s)
    return postgres


async def start_broker(
    stack: AsyncExitStack, step_s: float, port: int | None = None
) -> EmbeddedBroker:
    broker = EmbeddedBroker(port)
    await broker.start()
    stack.enter_context(at_forced_exit(broker.kill))
    stack.push_async_callback(stop_broker, broker, step_s)
    return broker


async def stop_broker(broker: EmbeddedBroker, step_s: float) -> None:
    if not broker.is_running():
        log.warning("the embedded broker had already exited", pid=broker.pid)
    # stop() ends it with SIGKILL after step_s: the bound only names a step that hangs.
    await bounded(
        asyncio.to_thread(broker.stop, step_s), "stopping the embedded broker", 2 * step_s
    )


async def stop_database(postgres: EmbeddedPostgres, step_s: float) -> None:
    # stop() escalates to SIGKILL by itself; the bound only names a step that hangs.
    await bounded(
        asyncio.to_thread(postgres.stop, step_s), "stopping the embedded database", 4 * step_s
    )
