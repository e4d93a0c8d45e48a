"""Quotas: a rate limit per API key, and caps per tenant on jobs in flight, open event
streams and a training run's size (`api.quotas` in the settings).

Every count lives in PostgreSQL, the one place every API replica already shares: a
replica's memory would let N replicas allow N times the limit, and the database is
already on every request's path (the key check), so a count costs one more statement.

The rate limit is a fixed window per key (`requests_per_window` in `window_s`), counted
after authentication so that one tenant's keys cannot spend another's. Every answer to
a counted request carries the fields of draft-ietf-httpapi-ratelimit-headers-10:
`RateLimit-Policy: "per-key";q=120;w=60` and `RateLimit: "per-key";r=<left>;t=<seconds>`;
past the limit the answer is 429 with `Retry-After`. A tenant at its cap of jobs or
streams gets 429 too, with `api.quotas.retry_after_s` as the hint; a training run larger
than the tenant's caps gets 403.
"""

import asyncio
import contextlib
import math
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from aiohttp import web

from fragrance_ai.http.keys import PRINCIPAL, SETTINGS, STORE
from fragrance_ai.http.problems import Handler, ProblemError, problem
from fragrance_ai.store import QuotaExceededError, WindowUse
from fragrance_ai.store.quotas import stream_lease
from schemas.http import FieldProblem
from schemas.training import TrainingOptions

POLICY = "per-key"
WINDOW_USE: web.RequestKey[WindowUse] = web.RequestKey("rate_limit_window")
STREAM_OWNER: web.AppKey[str] = web.AppKey("stream_owner")
OPEN_STREAMS: web.AppKey[set[str]] = web.AppKey("open_stream_leases")
STREAM_LEASE_S = 60.0
log = structlog.get_logger(__name__)


def too_many(detail: str, retry_after_s: float) -> web.Response:
    response = problem(429, "Too Many Requests", detail)
    response.headers["Retry-After"] = str(max(1, math.ceil(retry_after_s)))
    return response


@web.middleware
async def quota_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count the request against its key's window (when rate limits are on); answer a
    tenant's spent quota with 429."""
    settings = request.app[SETTINGS]
    key = request.get(PRINCIPAL)
    if key is not None and settings.api.rate_limit_enabled:
        quotas = settings.api.quotas
        use = await request.app[STORE].count_request(key.id, int(quotas.window_s))
        request[WINDOW_USE] = use
        if use.used > quotas.requests_per_window:
            return too_many(
                f"this key may make {quotas.requests_per_window} requests in "
                f"{quotas.window_s} s; the window ends in {math.ceil(use.resets_in_s)} s",
                use.resets_in_s,
            )
    try:
        return await handler(request)
    except QuotaExceededError as exc:
        return too_many(str(exc), float(settings.api.quotas.retry_after_s))


async def add_rate_limit_fields(request: web.Request, response: web.StreamResponse) -> None:
    """`on_response_prepare`: the fields go on every counted answer, streams included."""
    use = request.get(WINDOW_USE)
    if use is None:
        return
    quotas = request.app[SETTINGS].api.quotas
    left = max(0, int(quotas.requests_per_window) - use.used)
    response.headers["RateLimit-Policy"] = (
        f'"{POLICY}";q={quotas.requests_per_window};w={quotas.window_s}'
    )
    response.headers["RateLimit"] = f'"{POLICY}";r={left};t={math.ceil(use.resets_in_s)}'


def check_training_size(request: web.Request, options: TrainingOptions) -> None:
    """403 naming each field of a training run past its tenant cap: the request is valid,
    and refused by this deployment's quota, not by the document."""
    quotas = request.app[SETTINGS].api.quotas
    caps = {"total_timesteps": quotas.training_timesteps, "num_envs": quotas.training_envs}
    errors = [
        FieldProblem(field=field, message=f"at most {cap} on this deployment")
        for field, cap in caps.items()
        if getattr(options, field) > cap
    ]
    if errors:
        raise ProblemError(
            problem(403, "Training run too large", "a field is past its cap", errors)
        )


@asynccontextmanager
async def event_stream_slot(request: web.Request, tenant: str) -> AsyncIterator[None]:
    """Hold one of the tenant's open-stream places while the stream is open
    (QuotaExceededError when none is free). The place is a lease that this process
    renews (`renew_stream_leases`), so one left by a process that died expires."""
    app = request.app
    name = stream_lease(tenant, uuid.uuid4().hex)
    await app[STORE].open_event_stream(
        tenant,
        name,
        app[STREAM_OWNER],
        STREAM_LEASE_S,
        int(app[SETTINGS].api.quotas.event_streams),
    )
    app[OPEN_STREAMS].add(name)
    try:
        yield
    finally:
        app[OPEN_STREAMS].discard(name)
        # A stream ended by the server's shutdown may outlive the pool; its lease then
        # expires by itself.
        with contextlib.suppress(Exception):
            await app[STORE].release_lease(name, app[STREAM_OWNER])


async def stream_leases(app: web.Application) -> AsyncIterator[None]:
    """`cleanup_ctx`: renew this process's open-stream leases until it stops."""
    app[STREAM_OWNER] = f"api-{uuid.uuid4().hex}"
    open_streams: set[str] = set()
    app[OPEN_STREAMS] = open_streams

    async def renew_forever() -> None:
        while True:
            await asyncio.sleep(STREAM_LEASE_S / 3)
            if names := list(open_streams):
                try:
                    await app[STORE].renew_leases(names, app[STREAM_OWNER], STREAM_LEASE_S)
                except Exception as exc:  # the next round tries again; leases outlive a miss
                    log.warning("renewing event-stream leases failed", error=str(exc))

    renewer = asyncio.create_task(renew_forever(), name="stream-leases")
    yield
    renewer.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await renewer
