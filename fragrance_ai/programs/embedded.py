"""The embedded broker and database as programs use them, and `fragrance-ai embedded up`.

A program starts them on its exit stack: each part is pushed on the stack as it starts,
so the stack stops them in reverse (start the database first and the broker stops before
it). A forced exit (a second Ctrl-C) ends both at once. Every stop is bounded by
`shutdown.step_s`.

`fragrance-ai embedded up` runs them alone, for the deployed topology run locally as
separate processes (`db migrate`, `topics create`, `api`, `worker llm`, `worker rl`),
exactly as compose runs them.

It prints the parts' URLs as `export` lines for a shell, then waits; Ctrl-C or SIGTERM
stops the broker, then the database. The database keeps its data (by default where
`fragrance-ai dev` keeps it); the broker keeps nothing, so jobs left unfinished by an
earlier run are sent on again by the API's sweeper once they have stalled.
"""

import asyncio
import shlex
from contextlib import AsyncExitStack
from pathlib import Path

import structlog

from fragrance_ai.embedded.broker import EmbeddedBroker
from fragrance_ai.embedded.postgres import EmbeddedPostgres
from fragrance_ai.programs.ports import require_free
from fragrance_ai.programs.stopping import at_forced_exit, bounded

BROKER_HOST = "127.0.0.1"
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


def exports(bootstrap_servers: str, database_url: str) -> str:
    """The lines a shell evaluates to point every program at the embedded parts."""
    return (
        f"export KAFKA_BOOTSTRAP_SERVERS={shlex.quote(bootstrap_servers)}\n"
        f"export DATABASE_URL={shlex.quote(database_url)}"
    )


def banner(bootstrap_servers: str, database_url: str) -> str:
    return (
        "Embedded broker and database are running (Ctrl-C stops them)\n"
        f"  broker:   {bootstrap_servers}\n"
        f"  database: {database_url}\n"
        "In each shell that runs a program, first:\n"
        f"{exports(bootstrap_servers, database_url)}\n"
        "then, as compose runs them: fragrance-ai db migrate; fragrance-ai topics create;\n"
        "  fragrance-ai api; fragrance-ai worker llm; fragrance-ai worker rl"
    )


async def run_embedded(
    stop: asyncio.Event, data_dir: Path, kafka_port: int | None, step_s: float
) -> None:
    """Start both parts, print where they are, and hold them until `stop`."""
    if kafka_port:
        require_free(BROKER_HOST, kafka_port, "the embedded broker")
    async with AsyncExitStack() as stack:
        postgres = await start_database(stack, data_dir, step_s)
        broker = await start_broker(stack, step_s, kafka_port)
        print(banner(broker.bootstrap_servers, postgres.url), flush=True)
        await stop.wait()
