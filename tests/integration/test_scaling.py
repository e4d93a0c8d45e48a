"""Workers scale by consumer group: two LLM worker processes share the command topic."""

from __future__ import annotations

import asyncio
from collections import Counter

import aiohttp
import pytest

from tests.integration.conftest import (
    FAST_BRIEF,
    Api,
    Launcher,
    all_succeeded,
    assert_each_completed_once,
    stage_workers,
    submit_many,
    until_each_worker_took_a_job,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


async def test_two_llm_workers_split_the_jobs_and_each_job_completes_once(
    launch: Launcher, http: aiohttp.ClientSession
) -> None:
    url, *_ = await asyncio.gather(
        launch.api(),
        launch.worker("llm", "llm-a"),
        launch.worker("llm", "llm-b"),
        launch.worker("rl", "rl-1"),
    )
    api = Api(http, url)
    warm_up = await until_each_worker_took_a_job(
        api, launch.database_url, "interpreting", {"llm-a", "llm-b"}
    )
    jobs = warm_up + await submit_many(api, 60, FAST_BRIEF)

    await all_succeeded(launch.database_url, jobs, timeout_s=90)

    taken = Counter((await stage_workers(launch.database_url, "interpreting")).values())
    assert set(taken) == {"llm-a", "llm-b"}, taken
    assert taken.total() == len(jobs)
    await assert_each_completed_once(launch.database_url, jobs)
