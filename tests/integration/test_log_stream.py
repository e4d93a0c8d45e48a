"""`fragrance-ai logs --follow` against a running system: the services ship their lines
to Kafka, the API streams them to an admin key, and a job's trail can be read across
services, narrowed to one service or one job."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from tests.integration.conftest import CLI, Api, Launcher, create_key, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


class Follower:
    """One `fragrance-ai logs --follow --json ...` process and the records it printed."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.records: list[dict[str, Any]] = []
        self._reading = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            self.records.append(orjson.loads(line))

    async def stop(self) -> None:
        self.process.terminate()
        await self.process.wait()
        await self._reading


async def follow(launch: Launcher, env: dict[str, str], *filters: str) -> Follower:
    """Started, and positioned: it said it is following, so nothing after is missed."""
    process = await asyncio.create_subprocess_exec(
        CLI, "logs", "--follow", "--json", *filters,
        env=launch.env(**env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    said = await asyncio.wait_for(process.stderr.readline(), 60)
    assert b"following the logs" in said, said
    return Follower(process)


def services_about(follower: Follower, job_id: str) -> set[str]:
    return {r["service"] for r in follower.records if r.get("job_id") == job_id}


async def test_a_jobs_lines_are_followed_across_services_and_narrowed(
    launch: Launcher, http: Any
) -> None:
    url = await launch.api()
    await launch.worker("llm", "llm-1")
    await launch.worker("rl", "rl-1")
    env = {"FRAGRANCE_API_URL": url, "FRAGRANCE_API_KEY": await create_key(launch.database_url)}
    api = Api(http, url)
    everything = await follow(launch, env)
    llm_only = await follow(launch, env, "--service", "worker-llm")
    try:
        first = str(await api.submit())

        async def seen_everywhere() -> bool:
            return {"api", "worker-llm", "worker-rl"} <= services_about(everything, first)

        async def seen_by_llm_only() -> bool:
            return bool(services_about(llm_only, first))

        await wait_for(seen_everywhere, 60, "the job's lines from the api and both workers")
        await wait_for(seen_by_llm_only, 60, "the job's lines from worker-llm")
        assert {r["service"] for r in llm_only.records} == {"worker-llm"}
        about_the_job = [r for r in everything.records if r.get("job_id") == first]
        assert all(r.get("correlation_id") for r in about_the_job), about_the_job
    finally:
        await everything.stop()
        await llm_only.stop()

    of_the_first = await follow(launch, env, "--job", first)
    everything = await follow(launch, env)
    try:
        second = str(await api.submit())

        async def second_job_done_everywhere() -> bool:
            return "worker-rl" in services_about(everything, second)

        await wait_for(second_job_done_everywhere, 60, "the second job's lines")
        assert not services_about(of_the_first, second), of_the_first.records
    finally:
        await of_the_first.stop()
        await everything.stop()
