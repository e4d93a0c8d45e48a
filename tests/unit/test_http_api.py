"""The HTTP API's edges, on aiohttp's test client with an in-memory job store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from aiohttp.test_utils import TestClient, TestServer

from brokers.topics import command_topic
from fragrance_ai.config_loader import load_settings
from fragrance_ai.http import resources
from fragrance_ai.http.app import init_app
from fragrance_ai.http.keys import READINESS, STORE
from fragrance_ai.store import JobNotFoundError, OutboxMessage
from schemas.jobs import JobKind, JobView
from schemas.messages import InterpretBrief

MAX_BODY = 2048
PROBLEM = "application/problem+json"


class MemoryStore:
    def __init__(self) -> None:
        self.jobs: dict[UUID, JobView] = {}
        self.outbox: list[OutboxMessage] = []

    async def create_job(
        self,
        kind: JobKind,
        brief_text: str,
        options: Any = None,
        correlation_id: str | None = None,
        outbox_messages: list[OutboxMessage] | tuple[()] = (),
        *,
        job_id: UUID | None = None,
    ) -> UUID:
        job_id = job_id or uuid4()
        now = datetime.now(UTC)
        self.jobs[job_id] = JobView(
            id=job_id, kind=kind, status="queued", created_at=now, updated_at=now,
            brief_text=brief_text, options=options.model_dump(mode="json"),
            correlation_id=correlation_id,
        )  # fmt: skip
        self.outbox.extend(outbox_messages)
        return job_id

    async def get_job(self, job_id: UUID) -> JobView:
        if job_id not in self.jobs:
            raise JobNotFoundError(job_id)
        return self.jobs[job_id]


async def broker_down() -> None:
    raise ConnectionError("no answer from 127.0.0.1:9")


async def database_up() -> None:
    return None


@pytest.fixture
def memory_store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
async def client(memory_store: MemoryStore) -> AsyncIterator[TestClient[Any, Any]]:
    settings = load_settings("testing")
    settings.set("api.max_body_bytes", MAX_BODY)
    app = init_app(settings)
    # The real database and broker resources stay out: the store is in memory.
    for resource in (resources.database, resources.kafka):
        app.cleanup_ctx.remove(resource)
    app[STORE] = memory_store  # type: ignore[assignment]
    app[READINESS].add("database", database_up)
    app[READINESS].add("broker", broker_down)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def problem_of(reply: Any, status: int) -> dict[str, Any]:
    assert reply.status == status, await reply.text()
    assert reply.content_type == PROBLEM
    body: dict[str, Any] = await reply.json()
    assert body["status"] == status
    assert body["title"]
    return body


async def test_an_accepted_brief_is_stored_with_its_command_and_located(
    client: TestClient[Any, Any], memory_store: MemoryStore
) -> None:
    reply = await client.post(
        "/v1/formulations",
        json={"brief": "  woody amber  ", "options": {"seed": 7}},
        headers={"X-Correlation-ID": "req-42"},
    )

    assert reply.status == 202, await reply.text()
    body = await reply.json()
    job_id = UUID(body["job_id"])
    assert reply.headers["Location"] == f"/v1/jobs/{job_id}"
    assert reply.headers["X-Correlation-ID"] == "req-42"
    assert body["status"] == "queued"
    assert body["links"]["events"] == f"/v1/jobs/{job_id}/events"
    assert memory_store.jobs[job_id].brief_text == "woody amber"
    assert memory_store.jobs[job_id].correlation_id == "req-42"
    [message] = memory_store.outbox
    assert message.topic == command_topic("llm")
    assert message.key == str(job_id)
    assert message.headers["correlation_id"] == "req-42"
    command = InterpretBrief.model_validate_json(message.payload)
    assert (command.job_id, command.text, command.options.seed) == (job_id, "woody amber", 7)


async def test_a_job_reads_back_and_an_unknown_one_is_404(
    client: TestClient[Any, Any], memory_store: MemoryStore
) -> None:
    accepted = await (await client.post("/v1/formulations", json={"brief": "musk"})).json()

    reply = await client.get(f"/v1/jobs/{accepted['job_id']}")
    assert reply.status == 200
    assert (await reply.json())["brief_text"] == "musk"
    for path in (f"/v1/jobs/{uuid4()}", "/v1/jobs/not-a-uuid", f"/v1/jobs/{uuid4()}/events"):
        body = await problem_of(await client.get(path), 404)
        assert "no job" in body["detail"]


async def test_a_body_over_the_limit_is_413(
    client: TestClient[Any, Any], memory_store: MemoryStore
) -> None:
    reply = await client.post("/v1/formulations", json={"brief": "x" * (MAX_BODY + 1)})

    await problem_of(reply, 413)
    assert memory_store.jobs == {}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, ["brief"]),
        ({"brief": "   "}, ["brief"]),
        ({"brief": "musk", "colour": "red"}, ["colour"]),
        ({"brief": "musk", "options": {"optimizer": "magic", "seed": -1}}, ["options.optimizer", "options.seed"]),
        ([1, 2], ["body"]),
    ],
)  # fmt: skip
async def test_an_invalid_body_is_422_naming_each_field(
    client: TestClient[Any, Any], memory_store: MemoryStore, body: Any, fields: list[str]
) -> None:
    problem = await problem_of(await client.post("/v1/formulations", json=body), 422)

    assert [error["field"] for error in problem["errors"]] == fields
    assert all(error["message"] for error in problem["errors"])
    assert memory_store.jobs == {}


async def test_a_body_that_is_not_json_is_400(client: TestClient[Any, Any]) -> None:
    reply = await client.post("/v1/formulations", data=b"brief=musk")

    await problem_of(reply, 400)


async def test_a_bad_last_event_id_is_400(client: TestClient[Any, Any]) -> None:
    accepted = await (await client.post("/v1/formulations", json={"brief": "musk"})).json()

    reply = await client.get(
        f"/v1/jobs/{accepted['job_id']}/events", headers={"Last-Event-ID": "two"}
    )

    body = await problem_of(reply, 400)
    assert "Last-Event-ID" in body["detail"]


async def test_health_is_live_and_ready_names_the_unreachable_dependency(
    client: TestClient[Any, Any],
) -> None:
    assert (await client.get("/health")).status == 200

    reply = await client.get("/ready")

    assert reply.status == 503
    report = await reply.json()
    assert report["dependencies"]["database"] == "ok"
    assert report["dependencies"]["broker"].startswith("unreachable: ConnectionError: no answer")


async def test_an_unknown_route_is_a_404_problem(client: TestClient[Any, Any]) -> None:
    await problem_of(await client.get("/v1/nothing"), 404)
