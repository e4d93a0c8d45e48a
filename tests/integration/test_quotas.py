"""Quotas on real `fragrance-ai api` processes sharing one PostgreSQL: a key's rate limit
and a tenant's caps hold across replicas, whichever replica a request reaches."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import aiohttp
import orjson
import pytest

from tests.integration.conftest import FAST_BRIEF, Launcher, bearer, create_key, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

QUOTAS = "FRAGRANCE_API__QUOTAS__"


async def post(
    http: aiohttp.ClientSession, url: str, key: str, body: dict[str, Any]
) -> tuple[int, Any, Any]:
    async with http.post(url, headers=bearer(key), json=body) as reply:
        return reply.status, orjson.loads(await reply.read()), reply.headers


async def test_a_keys_rate_limit_is_shared_by_every_replica(
    launch: Launcher, http: aiohttp.ClientSession
) -> None:
    limits = {
        "FRAGRANCE_API__RATE_LIMIT_ENABLED": "true",
        f"{QUOTAS}REQUESTS_PER_WINDOW": "3",
        f"{QUOTAS}WINDOW_S": "3600",
    }
    replicas = await asyncio.gather(launch.api("api-1", **limits), launch.api("api-2", **limits))
    acme, globex = await asyncio.gather(
        create_key(launch.database_url, "acme"), create_key(launch.database_url, "globex")
    )
    seen = []
    for attempt in range(4):
        url = f"{replicas[attempt % 2]}/v1/formulations"
        seen.append(await post(http, url, acme, {"brief": FAST_BRIEF}))
    assert [status for status, _, _ in seen] == [202, 202, 202, 429]
    assert [headers["RateLimit"].split(";t=")[0] for _, _, headers in seen] == [
        f'"per-key";r={left}' for left in (2, 1, 0, 0)
    ]
    assert {headers["RateLimit-Policy"] for _, _, headers in seen} == {'"per-key";q=3;w=3600'}
    _, problem, headers = seen[-1]
    assert 0 < int(headers["Retry-After"]) <= 3600
    assert "3 requests in 3600 s" in problem["detail"]
    # Another key has a window of its own; open routes are not counted.
    assert (await post(http, f"{replicas[1]}/v1/formulations", globex, {"brief": FAST_BRIEF}))[
        0
    ] == 202
    async with http.get(f"{replicas[0]}/health") as reply:
        assert reply.status == 200 and "RateLimit" not in reply.headers


async def test_a_tenants_caps_on_jobs_streams_and_training_size_hold_across_replicas(
    launch: Launcher, http: aiohttp.ClientSession
) -> None:
    caps = {
        f"{QUOTAS}JOBS_IN_FLIGHT": "2",
        f"{QUOTAS}EVENT_STREAMS": "1",
        f"{QUOTAS}TRAINING_ENVS": "64",
    }
    first, second = await asyncio.gather(launch.api("api-1", **caps), launch.api("api-2", **caps))
    key = await create_key(launch.database_url, "acme")
    other = await create_key(launch.database_url, "globex")

    # No worker runs, so accepted jobs stay queued: in flight.
    accepted = [
        await post(http, f"{base}/v1/formulations", key, {"brief": FAST_BRIEF})
        for base in (first, second)
    ]
    assert [status for status, _, _ in accepted] == [202, 202]
    status, problem, headers = await post(
        http, f"{second}/v1/formulations", key, {"brief": FAST_BRIEF}
    )
    assert status == 429 and "2 jobs in flight" in problem["detail"]
    assert int(headers["Retry-After"]) >= 1
    assert (await post(http, f"{first}/v1/formulations", other, {"brief": FAST_BRIEF}))[0] == 202
    job_id = accepted[0][1]["job_id"]
    async with http.post(f"{first}/v1/jobs/{job_id}/cancel", headers=bearer(key)) as reply:
        assert reply.status == 200
    assert (await post(http, f"{second}/v1/formulations", key, {"brief": FAST_BRIEF}))[0] == 202

    # One open event stream per tenant, whichever replica serves it.
    other_job = accepted[1][1]["job_id"]
    async with contextlib.AsyncExitStack() as streams:
        held = await streams.enter_async_context(
            http.get(f"{first}/v1/jobs/{other_job}/events", headers=bearer(key))
        )
        assert held.status == 200
        async with http.get(f"{second}/v1/jobs/{other_job}/events", headers=bearer(key)) as refused:
            assert refused.status == 429
            assert "1 open event streams" in (await refused.json())["detail"]

    # Closed, its place is free again: the replica gives its lease back once it notices
    # the client left (at its next keep-alive ping at the latest).
    async def reopens() -> bool:
        url = f"{second}/v1/jobs/{other_job}/events"
        async with http.get(url, headers=bearer(key)) as reply:
            return reply.status == 200

    await wait_for(reopens, 60, "the closed stream's place to come free", every_s=0.5)

    # A training run past the tenant's cap is refused, naming the field.
    status, problem, _ = await post(
        http, f"{first}/v1/training-runs", key, {"num_envs": 128, "total_timesteps": 4096}
    )
    assert status == 403
    assert problem["errors"] == [{"field": "num_envs", "message": "at most 64 on this deployment"}]
