"""Metric definitions, the request middleware, settings checks and the lag table."""

from __future__ import annotations

import asyncio
import re

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry, Counter, Histogram

from fragrance_ai.cli.lag import render
from fragrance_ai.config_loader import SettingsError, load_settings
from fragrance_ai.metrics import metrics_view, registered_names
from fragrance_ai.metrics.http import HTTP_REQUESTS, KNOWN_METHODS, http_metrics_middleware
from fragrance_ai.metrics.lag import PartitionLag, totals
from fragrance_ai.metrics.refresh import PeriodicRefresh
from fragrance_ai.programs.worker_metrics import metrics_port


async def hello(request: web.Request) -> web.Response:
    return web.Response(text=request.match_info["name"])


async def refuse(request: web.Request) -> web.Response:
    raise web.HTTPForbidden()


def requests_seen(route: str, status: str) -> float:
    return HTTP_REQUESTS.labels("GET", route, status)._value.get()


@pytest.fixture
async def client() -> TestClient[web.Request, web.Application]:
    app = web.Application(middlewares=[http_metrics_middleware])
    app.router.add_routes(
        [
            web.get("/hello/{name}", hello),
            web.get("/refuse", refuse),
            web.get("/metrics", metrics_view),
        ]
    )
    return TestClient(TestServer(app))


async def test_requests_are_counted_by_route_template_not_path(
    client: TestClient[web.Request, web.Application],
) -> None:
    before = requests_seen("/hello/{name}", "200")
    async with client:
        for name in ("rose", "iris"):
            assert (await client.get(f"/hello/{name}")).status == 200
        scrape = await (await client.get("/metrics")).text()
    assert requests_seen("/hello/{name}", "200") == before + 2
    assert "rose" not in scrape
    assert 'route="/hello/{name}"' in scrape


async def test_raised_http_errors_and_unknown_paths_keep_their_status(
    client: TestClient[web.Request, web.Application],
) -> None:
    refused, unmatched = requests_seen("/refuse", "403"), requests_seen("unmatched", "404")
    async with client:
        assert (await client.get("/refuse")).status == 403
        assert (await client.get("/no/such/page")).status == 404
    assert requests_seen("/refuse", "403") == refused + 1
    assert requests_seen("unmatched", "404") == unmatched + 1


async def test_an_arbitrary_method_is_counted_as_other_not_as_a_new_series(
    client: TestClient[web.Request, web.Application],
) -> None:
    async with client:
        for method in ("PROPFIND", "MKCOL", "PURGE"):
            assert (await client.request(method, "/refuse")).status == 405
        scrape = await (await client.get("/metrics")).text()
    methods = set(re.findall(r'^http_requests_total\{method="([^"]*)"', scrape, re.MULTILINE))
    assert "other" in methods and methods <= KNOWN_METHODS | {"other"}


def test_registered_names_include_sample_suffixes_of_unobserved_metrics() -> None:
    registry = CollectorRegistry()
    Histogram("wait_seconds", "waiting", ["model"], registry=registry)
    Counter("briefs", "briefs read", registry=registry)
    names = registered_names(registry)
    assert {"wait_seconds_bucket", "wait_seconds_sum", "wait_seconds_count"} <= names
    assert "briefs_total" in names


def test_the_promised_metric_names_are_registered() -> None:
    import fragrance_ai.llm.metrics
    import fragrance_ai.metrics.jobs
    import fragrance_ai.metrics.lag  # noqa: F401

    promised = {
        "http_requests_total", "http_request_duration_seconds_bucket",
        "llm_inference_duration_seconds_bucket", "rl_training_episodes_total", "queue_size",
    }  # fmt: skip
    assert promised <= registered_names()


def test_a_bad_metrics_setting_is_named_at_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRAGRANCE_METRICS__LLM_PORT", "70000")
    with pytest.raises(SettingsError, match=r"metrics\.llm_port must lte 65535"):
        load_settings("testing")
    monkeypatch.setenv("FRAGRANCE_METRICS__LLM_PORT", "9101")
    monkeypatch.setenv("FRAGRANCE_METRICS__REFRESH_S", "0")
    with pytest.raises(SettingsError, match=r"metrics\.refresh_s must gt 0"):
        load_settings("testing")


def test_policy_training_serves_its_metrics_on_the_rl_port() -> None:
    settings = load_settings("testing")
    settings.set("metrics.rl_port", 9102)
    assert metrics_port(settings, "training") == metrics_port(settings, "rl") == 9102
    assert metrics_port(settings, "llm") == settings.metrics.llm_port


def lag_row(partition: int, committed: int | None, end: int) -> PartitionLag:
    lag = end - (committed or 0)
    return PartitionLag(
        group="g", topic="t", partition=partition, committed=committed, end=end, lag=lag
    )


def test_lag_table_lists_partitions_then_totals() -> None:
    rows = [lag_row(0, 3, 10), lag_row(1, None, 4)]
    lines = render(rows).splitlines()
    assert lines[0].split() == ["GROUP", "TOPIC", "PARTITION", "COMMITTED", "END", "LAG"]
    assert lines[1].split() == ["g", "t", "0", "3", "10", "7"]
    assert lines[2].split() == ["g", "t", "1", "-", "4", "4"]
    assert lines[-1].split() == ["g", "t", "11"]
    assert totals(rows) == {("g", "t"): 11}
    assert render([]).startswith("no consumer group")


async def test_a_failing_refresh_is_retried_not_fatal() -> None:
    calls: list[int] = []

    async def flaky() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("broker away")

    refresher = PeriodicRefresh("test", flaky, interval_s=0.01)
    refresher.start()
    for _ in range(100):
        if len(calls) >= 3:
            break
        await asyncio.sleep(0.01)
    await refresher.stop()
    assert len(calls) >= 3
