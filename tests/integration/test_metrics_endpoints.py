"""The API's and a worker's /metrics, /health and /ready, on the real broker and database."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from dynaconf import Dynaconf

from fragrance_ai.config_loader import load_settings
from fragrance_ai.embedded.broker import EmbeddedBroker
from fragrance_ai.programs.api import serve_api
from fragrance_ai.programs.lifecycle import StartupError
from fragrance_ai.programs.worker import run_worker
from fragrance_ai.store import Scope
from tests.integration.conftest import bearer, create_key

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

Program = Callable[[Dynaconf, asyncio.Event], Awaitable[None]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def get(url: str, key: str | None = None) -> tuple[int, str]:
    headers = bearer(key) if key else {}
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as response:
        return response.status, await response.text()


async def wait_until_listening(url: str, task: asyncio.Task[None]) -> None:
    for _ in range(300):
        if task.done():
            task.result()
        with contextlib.suppress(aiohttp.ClientConnectionError):
            await get(url)
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"nothing answered at {url}")


@contextlib.asynccontextmanager
async def running(program: Program, settings: Dynaconf, url: str) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(program(settings, stop))
    try:
        await wait_until_listening(url, task)
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def wait_for_line(url: str, prefix: str, key: str | None = None) -> str:
    """The first sample line of a scrape starting with `prefix`, once a refresh made it."""
    for _ in range(100):
        _, body = await get(url, key)
        lines = [line for line in body.splitlines() if line.startswith(prefix)]
        if lines:
            return lines[0]
        await asyncio.sleep(0.2)
    raise AssertionError(f"no sample {prefix!r} at {url}")


def sample_value(scrape: str, series: str) -> float:
    """The value of one series in a scrape, 0 when it has no sample yet."""
    for line in scrape.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    return 0.0


def llm_worker(settings: Dynaconf, stop: asyncio.Event) -> Awaitable[None]:
    return run_worker(settings, ("llm",), stop)


@pytest.fixture
def worker_settings(kafka_bootstrap: str) -> Dynaconf:
    settings = load_settings("testing")
    settings.set("kafka.bootstrap_servers", kafka_bootstrap)
    settings.set("metrics.llm_port", free_port())
    return settings


async def test_worker_serves_metrics_health_and_ready(worker_settings: Dynaconf) -> None:
    base = f"http://127.0.0.1:{worker_settings.metrics.llm_port}"
    async with running(llm_worker, worker_settings, f"{base}/health"):
        status, body = await get(f"{base}/health")
        assert (status, json.loads(body)) == (200, {"status": "ok"})
        status, body = await get(f"{base}/ready")
        assert status == 200
        assert json.loads(body)["dependencies"]["broker"] == "ok"
        queue = await wait_for_line(f"{base}/metrics", "queue_size{")
        assert 'group="fragrance.llm"' in queue
        assert 'topic="fragrance.commands.llm"' in queue
        _, scrape = await get(f"{base}/metrics")
        assert "# TYPE faststream_received_messages_total counter" in scrape


async def test_a_second_worker_on_the_same_port_names_the_address(
    worker_settings: Dynaconf,
) -> None:
    port = worker_settings.metrics.llm_port
    async with running(llm_worker, worker_settings, f"http://127.0.0.1:{port}/health"):
        with pytest.raises(StartupError, match=f"127.0.0.1:{port} for worker metrics"):
            await run_worker(worker_settings, ("llm",), asyncio.Event())


async def test_api_counts_requests_by_route_template(
    kafka_bootstrap: str, postgres_db_url: str
) -> None:
    settings = load_settings("testing")
    settings.set("kafka.bootstrap_servers", kafka_bootstrap)
    settings.set("database.url", postgres_db_url)
    settings.set("api.port", free_port())
    base = f"http://127.0.0.1:{settings.api.port}"
    missing_job = uuid.uuid4()
    reader, admin = await asyncio.gather(
        create_key(postgres_db_url, scopes=[Scope.FORMULATE]),
        create_key(postgres_db_url, scopes=[Scope.ADMIN]),
    )
    async with running(serve_api, settings, f"{base}/health"):
        assert (await get(f"{base}/v1/jobs/{missing_job}", reader))[0] == 404
        # The API's /metrics answers admin keys only.
        assert (await get(f"{base}/metrics"))[0] == 401
        assert (await get(f"{base}/metrics", reader))[0] == 403
        jobs = await wait_for_line(f"{base}/metrics", 'jobs{status="queued"}', admin)
        _, scrape = await get(f"{base}/metrics", admin)
    assert float(jobs.split()[-1]) >= 0
    assert 'http_requests_total{method="GET",route="/v1/jobs/{job_id}",status="404"} 1.0' in scrape
    assert 'http_request_duration_seconds_count{method="GET",route="/health"' in scrape
    assert str(missing_job) not in scrape


def rl_worker(settings: Dynaconf, stop: asyncio.Event) -> Awaitable[None]:
    return run_worker(settings, ("rl", "training"), stop)


async def test_rl_worker_reports_broker_and_database_by_name(
    kafka_bootstrap: str, postgres_db_url: str
) -> None:
    settings = load_settings("testing")
    settings.set("kafka.bootstrap_servers", kafka_bootstrap)
    settings.set("database.url", postgres_db_url)
    settings.set("metrics.rl_port", free_port())
    base = f"http://127.0.0.1:{settings.metrics.rl_port}"
    async with running(rl_worker, settings, f"{base}/health"):
        for _ in range(100):
            status, body = await get(f"{base}/ready")
            if status == 200 and '"database"' in body:
                break
            await asyncio.sleep(0.1)
    assert status == 200, body
    assert json.loads(body)["dependencies"] == {"broker": "ok", "database": "ok"}


async def test_worker_ready_names_the_broker_while_it_is_away(
    private_broker: EmbeddedBroker,
) -> None:
    settings = load_settings("testing")
    settings.set("kafka.bootstrap_servers", private_broker.bootstrap_servers)
    settings.set("metrics.llm_port", free_port())
    base = f"http://127.0.0.1:{settings.metrics.llm_port}"
    async with running(llm_worker, settings, f"{base}/health"):
        private_broker.pause()
        try:
            status, body = await get(f"{base}/ready")
        finally:
            private_broker.resume()
        assert status == 503
        assert json.loads(body)["dependencies"]["broker"].startswith("unreachable")
        assert (await get(f"{base}/ready"))[0] == 200
