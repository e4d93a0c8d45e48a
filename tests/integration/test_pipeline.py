"""A brief's whole journey over HTTP, through the broker and both workers, into PostgreSQL."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from schemas.formula import Formula
from tests.integration.conftest import Api, Launcher, read_events

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

STAGES_IN_ORDER = ["stage_started", "brief_interpreted", "stage_started", "formula_optimized"]


async def start_system(launch: Launcher, http: aiohttp.ClientSession) -> Api:
    url, *_ = await asyncio.gather(
        launch.api(), launch.worker("llm", "llm-1"), launch.worker("rl", "rl-1")
    )
    return Api(http, url)


async def test_a_brief_becomes_a_formula_and_its_events_stream_in_order(
    launch: Launcher, http: aiohttp.ClientSession
) -> None:
    api = await start_system(launch, http)
    job_id = await api.submit()
    events_url = f"{api.base_url}/v1/jobs/{job_id}/events"

    # Opened straight away: stored events first, then live ones, until the last.
    streamed = await read_events(http, events_url)
    job = await api.finished(job_id)

    assert job["status"] == "succeeded", job
    formula = Formula.model_validate(job["formula"])
    assert formula.lines
    assert job["interpreting"]["finished_at"] and job["optimising"]["finished_at"]
    assert job["attempts"] == 2, "one attempt at each stage"
    assert [e.event for e in streamed] == STAGES_IN_ORDER
    assert [e.id for e in streamed] == ["1", "2", "3", "4"]
    assert [e.data["seq"] for e in streamed] == [1, 2, 3, 4]
    assert [e.data.get("stage") for e in streamed[::2]] == ["interpreting", "optimising"]
    assert Formula.model_validate(streamed[-1].data["formula"]) == formula

    resumed = await read_events(http, events_url, last_event_id="2")
    assert [e.data["seq"] for e in resumed] == [3, 4]
    assert [e.event for e in resumed] == STAGES_IN_ORDER[2:]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("fresh citrus, no citrus", "both wants and excludes the citrus family"),
        ("xyzzy plugh frobnicate", "names no family or note"),
        ("please write me a poem about the sea", "asks for a poem, not a scent"),
    ],
)
async def test_a_brief_that_cannot_be_read_ends_failed_with_the_reason(
    launch: Launcher, http: aiohttp.ClientSession, text: str, reason: str
) -> None:
    api = await start_system(launch, http)
    job_id = await api.submit(text)

    job = await api.finished(job_id)
    streamed = await read_events(http, f"{api.base_url}/v1/jobs/{job_id}/events")

    assert job["status"] == "failed"
    assert job["error"].startswith("interpreting: ")
    assert reason in job["error"]
    assert job["formula"] is None
    assert [e.event for e in streamed] == ["stage_started", "job_failed"]


async def test_an_unknown_job_is_404_as_a_problem_document(
    launch: Launcher, http: aiohttp.ClientSession
) -> None:
    url = await launch.api()
    missing = "00000000-0000-4000-8000-000000000000"
    for path in (f"/v1/jobs/{missing}", f"/v1/jobs/{missing}/events"):
        async with http.get(url + path) as reply:
            assert reply.status == 404
            assert reply.content_type == "application/problem+json"
            assert (await reply.json())["status"] == 404
