"""The HTTP application's resources, one `cleanup_ctx` generator each: start above the
`yield`, stop below it, in reverse order of start."""

from collections.abc import AsyncIterator

import structlog
from aiohttp import web
from aiohttp_sse import EventSourceResponse

from fragrance_ai.http.auth import KeyChecker
from fragrance_ai.http.keys import EVENT_FEED, KEY_CHECKER, NOTIFIER, SETTINGS, STORE, STREAMS
from fragrance_ai.jobs.feed import JobEventFeed
from fragrance_ai.metrics.jobs import refresh_backlog_and_counts
from fragrance_ai.metrics.refresh import PeriodicRefresh
from fragrance_ai.probes import READINESS, database_check
from fragrance_ai.store import JobStore, migrate, open_pool

log = structlog.get_logger(__name__)


async def database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    pool = await open_pool(
        settings.database.url,
        min_size=settings.database.pool_min,
        max_size=settings.database.pool_max,
        acquire_timeout_s=float(settings.database.acquire_timeout_s),
    )
    if settings.database.migrate_on_start:
        await migrate(pool)
    store = JobStore(pool)
    app[STORE] = store
    app[KEY_CHECKER] = KeyChecker(store)
    await store.purge_idempotency_keys()
    app[READINESS].add("database", database_check(store))
    notifier = await store.notifier().start()
    app[NOTIFIER] = notifier
    app[EVENT_FEED] = JobEventFeed(store, notifier)
    yield
    await notifier.stop()
    await pool.close()


async def job_counts(app: web.Application) -> AsyncIterator[None]:
    """After `database`: keeps the `jobs` gauge and the backlog gauges (stalled jobs, the
    outbox) current."""
    store, settings = app[STORE], app[SETTINGS]
    stalled_after_s = float(settings.sweeper.stalled_after_s)

    async def refresh() -> None:
        await refresh_backlog_and_counts(store, stalled_after_s)

    refresher = PeriodicRefresh("jobs", refresh, float(settings.metrics.refresh_s))
    refresher.start()
    yield
    await refresher.stop()


async def close_streams(app: web.Application) -> None:
    """An `on_shutdown` step: aiohttp runs it after the server stops listening and before
    it waits for the requests in flight, so open SSE streams end there and then instead of
    holding that wait up to its timeout."""
    open_streams = app[STREAMS]
    for response in list(open_streams):
        if isinstance(response, EventSourceResponse) and response.is_connected():
            response.stop_streaming()
