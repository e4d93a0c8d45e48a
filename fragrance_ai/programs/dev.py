"""`fragrance-ai dev`: the whole system in one process, on embedded parts by default.

With no broker or database configured, it starts Tansu (memory only) and PostgreSQL
(data kept in the user's data folder); configured URLs are used as they are. The
embedded broker keeps nothing across restarts while the database does, so jobs a
previous run left unfinished are driven again.
"""

import asyncio
from contextlib import AsyncExitStack

import structlog
from dynaconf import Dynaconf

from brokers.topics import create_topics, topic_catalogue
from fragrance_ai.embedded.broker import EmbeddedBroker
from fragrance_ai.embedded.postgres import EmbeddedPostgres, default_data_dir
from fragrance_ai.jobs.recovery import redrive_unfinished
from fragrance_ai.programs.api import serve_api
from fragrance_ai.programs.worker import run_worker
from fragrance_ai.store import JobStore, migrate, open_pool

log = structlog.get_logger(__name__)


async def start_embedded_parts(settings: Dynaconf, stack: AsyncExitStack) -> bool:
    """Start what is not configured; True when the broker is a fresh embedded one."""
    fresh_broker = not settings.kafka.bootstrap_servers
    if fresh_broker:
        broker = EmbeddedBroker()
        await stack.enter_async_context(broker)
        settings.set("kafka.bootstrap_servers", broker.bootstrap_servers)
        log.info("embedded broker started", bootstrap_servers=broker.bootstrap_servers)
    if not settings.database.url:
        postgres = EmbeddedPostgres(default_data_dir())
        await asyncio.to_thread(postgres.start)
        stack.push_async_callback(asyncio.to_thread, postgres.stop)
        settings.set("database.url", postgres.url)
        log.info("embedded database started", data_dir=str(default_data_dir()))
    return fresh_broker


async def prepare(settings: Dynaconf, redrive: bool) -> None:
    await create_topics(settings.kafka.bootstrap_servers, topic_catalogue(settings))
    pool = await open_pool(settings.database.url, max_size=2)
    try:
        await migrate(pool)
        if redrive:
            await redrive_unfinished(JobStore(pool))
    finally:
        await pool.close()


def banner(settings: Dynaconf) -> str:
    url = f"http://{settings.api.host}:{settings.api.port}"
    return (
        f"Fragrance AI is running at {url}  (Ctrl-C stops it)\n"
        f"  curl -s -X POST {url}/v1/formulations -H 'Content-Type: application/json' \\\n"
        f'       -d \'{{"brief": "a fresh citrus summer scent for men, woody base, under $40/kg"}}\'\n'
        f"  curl -s {url}/v1/jobs/<job_id>          # the job, then its formula\n"
        f"  curl -sN {url}/v1/jobs/<job_id>/events  # its events as they happen"
    )


async def run_dev(settings: Dynaconf, stop: asyncio.Event) -> None:
    async with AsyncExitStack() as stack:
        fresh_broker = await start_embedded_parts(settings, stack)
        await prepare(settings, redrive=fresh_broker)
        listening = asyncio.Event()
        async with asyncio.TaskGroup() as group:
            group.create_task(run_worker(settings, ("llm", "rl", "training"), stop))
            group.create_task(serve_api(settings, stop, listening))
            await listening.wait()
            print(banner(settings), flush=True)
