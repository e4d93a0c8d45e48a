"""The LLM worker with the development ensemble (SmolLM2 on CPU) behind the same handler."""

from __future__ import annotations

import aiohttp
import pytest

from tests.integration.conftest import Api, Launcher, events_of, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]

ENSEMBLE = {"FRAGRANCE_WORKERS__LLM__READER": "ensemble", "FRAGRANCE_CACHE__ENABLED": "true"}
BRIEF = "a fresh citrus cologne with bergamot, under $40/kg"


async def test_the_ensemble_reads_briefs_caches_them_and_drops_cancelled_jobs(
    launch: Launcher, http: aiohttp.ClientSession
) -> None:
    api = Api(http, await launch.api())
    await launch.worker("llm", "llm-ensemble", **ENSEMBLE)
    await launch.worker("rl", "rl-a")

    first = await api.submit(BRIEF)
    doomed = await api.submit("a warm amber with vanilla and labdanum")
    async with http.post(f"{api.base_url}/v1/jobs/{doomed}/cancel") as reply:
        assert reply.status == 200, await reply.text()

    job = await api.finished(first, timeout_s=600)
    assert job["status"] == "succeeded", job["error"]
    [read] = await events_of(launch.database_url, first, "brief_interpreted")
    details = read["details"]
    assert details["source"] == "ensemble"
    [smollm2] = details["outcomes"]
    assert smollm2["model"] == "smollm2" and smollm2["raw_output"]
    assert smollm2["latency_s"] > 0 and isinstance(smollm2["valid"], bool)
    assert set(details["fields"]) >= {"family_weights", "concentration", "budget_per_kg"}

    again = await api.submit(BRIEF.upper())
    job = await api.finished(again, timeout_s=120)
    assert job["status"] == "succeeded", job["error"]
    [cached] = await events_of(launch.database_url, again, "brief_interpreted")
    assert cached["details"]["cache"] == "hit"
    assert cached["interpretation"] == read["interpretation"]

    async def cancelled_job_settled() -> bool:
        return (await api.job(doomed))["status"] == "cancelled"

    await wait_for(cancelled_job_settled, 30, "the cancelled job to stay cancelled")
    assert await events_of(launch.database_url, doomed, "brief_interpreted") == []
