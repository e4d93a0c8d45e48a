"""`fragrance-ai api`: the HTTP front door, the event recorder and the outbox relay."""

import asyncio

import structlog
from aiohttp import web
from dynaconf import Dynaconf

from fragrance_ai.http.app import init_app
from fragrance_ai.metrics.server import start_site
from fragrance_ai.metrics.settings import metrics_settings
from fragrance_ai.programs.lifecycle import StartupError
from fragrance_ai.programs.stopping import bounded

log = structlog.get_logger(__name__)


def require_endpoints(settings: Dynaconf) -> None:
    missing = [
        name
        for name, value in (
            ("kafka.bootstrap_servers (KAFKA_BOOTSTRAP_SERVERS)", settings.kafka.bootstrap_servers),
            ("database.url (DATABASE_URL)", settings.database.url),
        )
        if not value
    ]
    if missing:
        raise StartupError(
            f"{' and '.join(missing)} not set: configure them, or run `fragrance-ai dev` "
            "to start an embedded broker and database"
        )


async def serve_api(
    settings: Dynaconf, stop: asyncio.Event, listening: asyncio.Event | None = None
) -> None:
    require_endpoints(settings)
    metrics_settings(settings)
    step_s = float(settings.shutdown.step_s)
    # Requests in flight get step_s; then the resources close, the Kafka clients last.
    runner = web.AppRunner(
        init_app(settings), access_log_class=web.AccessLogger, shutdown_timeout=step_s
    )
    await runner.setup()
    try:
        await start_site(runner, settings.api.host, int(settings.api.port), "the API")
        log.info("api listening", url=f"http://{settings.api.host}:{settings.api.port}")
        if listening is not None:
            listening.set()
        await stop.wait()
    finally:
        within_s = float(settings.kafka.consumer.graceful_timeout_s) + 3 * step_s
        await bounded(runner.cleanup(), "closing the API's server and resources", within_s)
