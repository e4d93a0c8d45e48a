"""`fragrance-ai dev`: the whole system in one process, on embedded parts by default.

With no broker or database configured, it starts Tansu (memory only) and PostgreSQL
(data kept in the user's data folder); configured URLs are used as they are. The
embedded broker keeps nothing across restarts while the database does, so jobs a
previous run left unfinished are driven again.

Both embedded parts run in sessions of their own, so a terminal's Ctrl-C reaches this
process alone, and it stops everything in order: the API and the workers stop consuming
and close their Kafka clients, then the broker stops, then the database. Every step is
bounded (`shutdown.step_s`, the whole `shutdown.grace_s`); a second Ctrl-C ends the
embedded parts at once and exits.
"""

import asyncio
from contextlib import AsyncExitStack

import structlog
from dynaconf import Dynaconf

from brokers.log_shipping import shipping_logs
from brokers.topics import create_topics, topic_catalogue
from fragrance_ai.config_loader import user_data_dir
from fragrance_ai.embedded.postgres import default_data_dir
from fragrance_ai.jobs.sweeper import redrive_unfinished
from fragrance_ai.programs.api import serve_api
from fragrance_ai.programs.embedded import start_broker, start_database
from fragrance_ai.programs.ports import require_free
from fragrance_ai.programs.stopping import bounded, unless_stopped
from fragrance_ai.programs.worker import run_worker
from fragrance_ai.programs.worker_metrics import metrics_port
from fragrance_ai.store import JobStore, Scope, migrate, open_pool

log = structlog.get_logger(__name__)
DEV_ROLES = ("llm", "rl", "training")
DEV_TENANT = "dev"


async def start_embedded_parts(settings: Dynaconf, stack: AsyncExitStack) -> bool:
    """Start what is not configured, the database first so that the stack stops the broker
    before it. True when the broker is a fresh embedded one."""
    step_s = float(settings.shutdown.step_s)
    if not settings.database.url:
        postgres = await start_database(stack, default_data_dir(), step_s)
        settings.set("database.url", postgres.url)
        log.info("embedded database started", data_dir=str(default_data_dir()))
    fresh_broker = not settings.kafka.bootstrap_servers
    if fresh_broker:
        broker = await start_broker(stack, step_s)
        settings.set("kafka.bootstrap_servers", broker.bootstrap_servers)
        log.info("embedded broker started", bootstrap_servers=broker.bootstrap_servers)
    return fresh_broker


def require_free_ports(settings: Dynaconf) -> None:
    """Before anything starts: a port a killed run still holds is named with its holder."""
    require_free(settings.api.host, int(settings.api.port), "the API")
    require_free(settings.metrics.host, metrics_port(settings, DEV_ROLES[0]), "worker metrics")


async def prepare(settings: Dynaconf, redrive: bool) -> str:
    """Topics, migrations, unfinished jobs sent on again; a new development API key
    (tenant `dev`, every scope), returned to be printed: the API never runs without keys."""
    await create_topics(settings.kafka.bootstrap_servers, topic_catalogue(settings))
    pool = await open_pool(settings.database.url, max_size=2)
    try:
        await migrate(pool)
        store = JobStore(pool)
        if redrive:
            await redrive_unfinished(store)
        _, key = await store.create_api_key(DEV_TENANT, Scope)
    finally:
        await pool.close()
    return key


def banner(settings: Dynaconf, key: str) -> str:
    """What a newcomer needs, in a dozen lines: where to look, the key, what to type next."""
    url = f"http://{settings.api.host}:{settings.api.port}"
    brief = "a fresh citrus summer scent for men, woody base, under $40/kg"
    return "\n".join(
        [
            "",
            f"Fragrance AI is running at {url}  (Ctrl-C stops it)",
            f"  studio    {url}/",
            f"  API key   {key}  (tenant {DEV_TENANT}, every scope, new at each start)",
            f"  data      {user_data_dir()}",
            "",
            "Next, in another terminal:",
            f"  export FRAGRANCE_API_URL={url} FRAGRANCE_API_KEY={key}",
            f"  .venv/bin/fragrance-ai submit --watch '{brief}'",
            "  .venv/bin/fragrance-ai jobs list",
            "  .venv/bin/fragrance-ai train --watch --timesteps 4096",
            "",
        ]
    )


async def run_dev(settings: Dynaconf, stop: asyncio.Event) -> None:
    require_free_ports(settings)
    async with AsyncExitStack() as stack:
        fresh_broker = await start_embedded_parts(settings, stack)
        key = await prepare(settings, redrive=fresh_broker)
        if stop.is_set():
            return
        programs = asyncio.create_task(shipping_logs(settings, "dev", serve(settings, stop, key)))
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({programs, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if programs.done():
            programs.result()
            return
        # What the broker and the database need is kept back from the grace.
        shutdown = settings.shutdown
        within_s = max(float(shutdown.grace_s) - 6 * float(shutdown.step_s), float(shutdown.step_s))
        await bounded(programs, "stopping the API and the workers", within_s)


async def serve(settings: Dynaconf, stop: asyncio.Event, key: str) -> None:
    """The API and the workers of every role, until `stop`; `key` goes in the banner."""
    listening = asyncio.Event()
    async with asyncio.TaskGroup() as group:
        group.create_task(run_worker(settings, DEV_ROLES, stop))
        group.create_task(serve_api(settings, stop, listening))
        await unless_stopped(listening.wait(), stop)
        if listening.is_set():
            print(banner(settings, key), flush=True)
