"""`fragrance-ai embedded up`: the embedded broker and database alone, for the deployed
topology run locally as separate processes (`db migrate`, `topics create`, `api`,
`worker llm`, `worker rl`), exactly as compose runs them.

It prints the parts' URLs as `export` lines for a shell, then waits; Ctrl-C or SIGTERM
stops the broker, then the database. The database keeps its data (by default where
`fragrance-ai dev` keeps it); the broker keeps nothing, so jobs left unfinished by an
earlier run are sent on again by the API's sweeper once they have stalled.
"""

import asyncio
import shlex
from contextlib import AsyncExitStack
from pathlib import Path

from fragrance_ai.programs.embedded_parts import start_broker, start_database
from fragrance_ai.programs.ports import require_free

BROKER_HOST = "127.0.0.1"


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
