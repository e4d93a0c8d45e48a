"""A model on an OpenAI-compatible server, against a small local server of that API."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from fragrance_ai.embedded.broker import free_loopback_port
from fragrance_ai.llm import ModelSpec, ModelUnavailableError, parse_ensemble_config
from fragrance_ai.llm.prompt import Prompt
from fragrance_ai.llm.remote import ServedModel
from fragrance_ai.llm.service import assemble_ensemble, served_models
from schemas.brief import Brief, Interpretation, Season

REPLY = '{"family_weights":{"woody":1},"season":"winter"}'
PROMPT = Prompt(
    messages=[{"role": "user", "content": "Brief: woody"}], reply_schema='{"type": "object"}'
)


class FakeServer:
    """Answers chat completions after failing with `failures` statuses first."""

    def __init__(self, failures: list[int] | None = None, delay_s: float = 0.0) -> None:
        self.failures = list(failures or [])
        self.delay_s = delay_s
        self.requests: list[tuple[dict[str, str], dict[str, object]]] = []
        self.in_flight = self.peak = 0

    async def completions(self, request: web.Request) -> web.Response:
        self.requests.append((dict(request.headers), await request.json()))
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.delay_s)
            if self.failures:
                return web.Response(status=self.failures.pop(0), text="busy")
            reply = {"choices": [{"message": {"content": REPLY}}]}
            return web.json_response({**reply, "usage": {"completion_tokens": 6}})
        finally:
            self.in_flight -= 1


@pytest.fixture
async def served() -> AsyncIterator[tuple[FakeServer, str]]:
    fake = FakeServer()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", fake.completions)
    server = TestServer(app)
    await server.start_server()
    yield fake, str(server.make_url("/v1"))
    await server.close()


def _spec(base_url: str, **fields: object) -> ModelSpec:
    return ModelSpec.model_validate(
        {
            "name": "qwen",
            "source_type": "hf_cache",
            "source": "Qwen/Qwen2.5-7B-Instruct",
            "backend": "openai",
            "base_url": base_url,
            **fields,
        }
    )


async def test_a_prompt_is_one_request_for_the_served_model(
    served: tuple[FakeServer, str],
) -> None:
    fake, url = served
    model = ServedModel(_spec(url, api_key="s3cret", max_new_tokens=64), timeout_s=5)
    reply = await model.generate(PROMPT)
    await model.aclose()
    assert (reply.text, reply.tokens) == (REPLY, 6)
    headers, body = fake.requests[0]
    assert headers["Authorization"] == "Bearer s3cret"
    assert body["model"] == "Qwen/Qwen2.5-7B-Instruct"
    assert body["messages"] == PROMPT.messages
    assert (body["max_tokens"], body["temperature"]) == (64, 0)
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "brief", "schema": {"type": "object"}, "strict": True},
    }


async def test_busy_replies_are_retried_a_bounded_number_of_times(
    served: tuple[FakeServer, str],
) -> None:
    fake, url = served
    fake.failures = [503, 429]
    model = ServedModel(_spec(url, max_retries=2), timeout_s=5, first_backoff_s=0.01)
    assert (await model.generate(PROMPT)).tokens == 6
    assert len(fake.requests) == 3
    await model.aclose()
    fake.failures = [503, 503, 503]
    model = ServedModel(_spec(url, max_retries=1), timeout_s=5, first_backoff_s=0.01)
    with pytest.raises(ModelUnavailableError, match=r"HTTP 503 \(2 attempts\)"):
        await model.generate(PROMPT)
    await model.aclose()
    assert len(fake.requests) == 5


async def test_a_refused_request_is_not_retried(served: tuple[FakeServer, str]) -> None:
    fake, url = served
    fake.failures = [400]
    model = ServedModel(_spec(url), timeout_s=5)
    with pytest.raises(ModelUnavailableError, match="HTTP 400: busy"):
        await model.generate(PROMPT)
    await model.aclose()
    assert len(fake.requests) == 1


async def test_a_slow_server_times_out(served: tuple[FakeServer, str]) -> None:
    fake, url = served
    fake.delay_s = 1.0
    model = ServedModel(_spec(url), timeout_s=0.1)
    with pytest.raises(TimeoutError):
        await model.generate(PROMPT)
    await model.aclose()


async def test_no_more_than_max_concurrency_requests_are_in_flight(
    served: tuple[FakeServer, str],
) -> None:
    fake, url = served
    fake.delay_s = 0.05
    model = ServedModel(_spec(url, max_concurrency=3), timeout_s=5)
    await asyncio.gather(*(model.generate(PROMPT) for _ in range(10)))
    await model.aclose()
    assert (len(fake.requests), fake.peak) == (10, 3)


async def test_the_ensemble_asks_a_served_model_and_records_an_unreachable_one(
    served: tuple[FakeServer, str],
) -> None:
    _, url = served
    nowhere = f"http://127.0.0.1:{free_loopback_port()}/v1"
    config = parse_ensemble_config(
        {
            "models": {
                "qwen": _spec(url).model_dump(exclude={"name"}),
                "llama": {**_spec(nowhere).model_dump(exclude={"name"}), "max_retries": 0},
            }
        }
    )
    rules = Brief(family_weights={"woody": 1}, season=Season.AUTUMN)
    ensemble = assemble_ensemble(
        config, {}, lambda text: Interpretation(brief=rules), served_models(config)
    )
    result = await ensemble.interpret("woody for autumn")
    await ensemble.aclose()
    by_model = {o.model: o for o in result.outcomes}
    assert by_model["qwen"].valid and by_model["qwen"].raw_output == REPLY
    assert not by_model["llama"].valid and "ClientConnectorError" in str(by_model["llama"].error)
    assert result.brief.season is Season.AUTUMN  # neither model is calibrated on season
