"""The HTTP API's edges, on aiohttp's test client with an in-memory job store (the same
edges on the real database: tests/integration/test_api_access.py)."""

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
from fragrance_ai.http.auth import KeyChecker
from fragrance_ai.http.keys import KEY_CHECKER, SETTINGS, STORE
from fragrance_ai.probes import READINESS
from fragrance_ai.store import (
    ApiKey,
    JobNotFoundError,
    KeptAnswer,
    OutboxMessage,
    QuotaExceededError,
    Scope,
)
from fragrance_ai.store.api_keys import new_key
from schemas.jobs import JobKind, JobView
from schemas.messages import InterpretBrief

MAX_BODY = 2048
JOBS_IN_FLIGHT = 20
PROBLEM = "application/problem+json"
# Made once: each scrypt hash takes tens of milliseconds.
KEYS = {scope: new_key() for scope in Scope}


def bearer(scope: Scope) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[scope][1]}"}


class MemoryStore:
    def __init__(self) -> None:
        self.jobs: dict[UUID, JobView] = {}
        self.owners: dict[UUID, str] = {}
        self.outbox: list[OutboxMessage] = []

    async def api_key(self, key_id: str) -> ApiKey | None:
        for scope, (made_id, _, secret_hash) in KEYS.items():
            if made_id == key_id:
                return ApiKey(
                    id=made_id, tenant="acme", scopes=frozenset({scope}),
                    secret_hash=secret_hash, created_at=datetime.now(UTC),
                )  # fmt: skip
        return None

    async def kept_answer(self, tenant: str, key: str) -> KeptAnswer | None:
        return None

    async def create_job(
        self,
        kind: JobKind,
        brief_text: str,
        options: Any = None,
        correlation_id: str | None = None,
        outbox_messages: list[OutboxMessage] | tuple[()] = (),
        *,
        tenant: str,
        job_id: UUID | None = None,
        answer: KeptAnswer | None = None,
        max_in_flight: int | None = None,
    ) -> UUID:
        in_flight = [j for j, owner in self.owners.items() if owner == tenant]
        if max_in_flight is not None and len(in_flight) >= max_in_flight:
            raise QuotaExceededError("jobs in flight", max_in_flight)
        job_id = job_id or uuid4()
        self.owners[job_id] = tenant
        now = datetime.now(UTC)
        self.jobs[job_id] = JobView(
            id=job_id, kind=kind, status="queued", created_at=now, updated_at=now,
            brief_text=brief_text, options=options.model_dump(mode="json"),
            correlation_id=correlation_id,
        )  # fmt: skip
        self.outbox.extend(outbox_messages)
        return job_id

    async def recent_jobs(
        self, tenant: str, limit: int, kind: JobKind | None = None
    ) -> list[JobView]:
        mine = [j for j in self.jobs.values() if self.owners[j.id] == tenant]
        mine = [j for j in mine if kind is None or j.kind is kind]
        return sorted(mine, key=lambda j: j.created_at, reverse=True)[:limit]

    async def get_job(self, job_id: UUID, *, tenant: str | None = None) -> JobView:
        if job_id not in self.jobs or tenant not in (None, self.owners[job_id]):
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
    settings.set("api.quotas.jobs_in_flight", JOBS_IN_FLIGHT)
    app = init_app(settings)
    # The real database stays out (the store is in memory); init_app has no broker side.
    app.cleanup_ctx.remove(resources.database)
    app[STORE] = memory_store  # type: ignore[assignment]
    app[KEY_CHECKER] = KeyChecker(memory_store)  # type: ignore[arg-type]
    app[READINESS].add("database", database_up)
    app[READINESS].add("broker", broker_down)
    async with TestClient(TestServer(app), headers=bearer(Scope.ADMIN)) as test_client:
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


async def test_a_tenant_past_its_jobs_in_flight_gets_429_with_retry_after(
    client: TestClient[Any, Any],
) -> None:
    quotas = client.app[SETTINGS].api.quotas if client.app else None
    assert quotas is not None
    for _ in range(quotas.jobs_in_flight):
        assert (await client.post("/v1/formulations", json={"brief": "musk"})).status == 202
    reply = await client.post("/v1/formulations", json={"brief": "musk"})
    body = await problem_of(reply, 429)
    assert f"{quotas.jobs_in_flight} jobs in flight" in body["detail"]
    assert reply.headers["Retry-After"] == str(quotas.retry_after_s)


async def test_a_training_run_past_the_tenants_size_caps_names_each_field(
    client: TestClient[Any, Any],
) -> None:
    body = {"total_timesteps": 1_000_000_000, "num_envs": 8_192}
    problem = await problem_of(await client.post("/v1/training-runs", json=body), 403)
    assert [error["field"] for error in problem["errors"]] == ["total_timesteps", "num_envs"]


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


async def test_a_database_restarting_is_503_with_retry_after_and_a_bug_stays_500(
    client: TestClient[Any, Any], memory_store: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def restarting(job_id: UUID, *, tenant: str | None = None) -> JobView:
        raise ConnectionRefusedError(111, "the database's socket is missing")

    monkeypatch.setattr(memory_store, "get_job", restarting)
    reply = await client.get(f"/v1/jobs/{uuid4()}")
    body = await problem_of(reply, 503)
    assert int(reply.headers["Retry-After"]) >= 1
    assert "retry" in body["detail"]

    async def broken(job_id: UUID, *, tenant: str | None = None) -> JobView:
        raise KeyError("a bug")

    monkeypatch.setattr(memory_store, "get_job", broken)
    await problem_of(await client.get(f"/v1/jobs/{uuid4()}"), 500)


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
    reply = await client.post(
        "/v1/formulations", data=b"brief=musk", headers={"Content-Type": "application/json"}
    )

    await problem_of(reply, 400)


async def test_a_body_of_another_content_type_is_415(
    client: TestClient[Any, Any], memory_store: MemoryStore
) -> None:
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        reply = await client.post(
            "/v1/formulations", data=b'{"brief": "musk"}', headers={"Content-Type": content_type}
        )
        await problem_of(reply, 415)
    assert memory_store.jobs == {}


async def test_a_wrong_method_is_405_naming_the_allowed_ones(
    client: TestClient[Any, Any],
) -> None:
    reply = await client.delete("/v1/formulations")

    await problem_of(reply, 405)
    assert reply.headers["Allow"] == "POST"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b'{"brief": "musk\\u0000 and amber"}', 422),
        (b'{"brief": "musk \\ud800 amber"}', 400),
        ('{"brief": "musk \ud800 amber"}'.encode("utf-8", "surrogatepass"), 400),
    ],
)
async def test_nul_and_lone_surrogates_in_a_brief_are_refused(
    client: TestClient[Any, Any], memory_store: MemoryStore, body: bytes, status: int
) -> None:
    reply = await client.post(
        "/v1/formulations", data=body, headers={"Content-Type": "application/json"}
    )

    await problem_of(reply, status)
    assert memory_store.jobs == {}


async def test_a_bad_last_event_id_is_400(client: TestClient[Any, Any]) -> None:
    accepted = await (await client.post("/v1/formulations", json={"brief": "musk"})).json()

    reply = await client.get(
        f"/v1/jobs/{accepted['job_id']}/events", headers={"Last-Event-ID": "two"}
    )

    body = await problem_of(reply, 400)
    assert "Last-Event-ID" in body["detail"]


@pytest.mark.parametrize("value", ["²", "٣", "9" * 4000, "99999999999", "-1", "1e3"])
async def test_a_non_ascii_or_huge_last_event_id_is_400(
    client: TestClient[Any, Any], value: str
) -> None:
    accepted = await (await client.post("/v1/formulations", json={"brief": "musk"})).json()

    reply = await client.get(
        f"/v1/jobs/{accepted['job_id']}/events",
        headers={"Last-Event-ID": value.encode().decode("latin-1")},
    )

    body = await problem_of(reply, 400)
    assert len(body["detail"]) < 200


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


async def test_every_bad_key_gets_the_same_401_and_a_missing_scope_403(
    client: TestClient[Any, Any], memory_store: MemoryStore
) -> None:
    _, key, _ = KEYS[Scope.FORMULATE]
    bad = [
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer not-a-key"},
        {"Authorization": f"Bearer fai_{'0' * 12}_{key[-43:]}"},  # unknown id
        {"Authorization": f"Bearer {key[:-1]}{'A' if key[-1] != 'A' else 'B'}"},  # wrong secret
        {"Authorization": "", "X-API-Key": "x" * 5000},
    ]
    bodies = set()
    for headers in bad:
        reply = await client.post("/v1/formulations", json={"brief": "musk"}, headers=headers)
        assert reply.status == 401, headers
        assert reply.headers["WWW-Authenticate"].startswith("Bearer")
        bodies.add(await reply.read())
    assert len(bodies) == 1
    assert memory_store.jobs == {}

    as_formulator = {"Authorization": "", "X-API-Key": key}  # over the client's admin key
    reply = await client.post("/v1/training-runs", json={}, headers=as_formulator)
    body = await problem_of(reply, 403)
    assert "train" in body["detail"]
    assert (await client.get("/metrics", headers=as_formulator)).status == 403
    assert (await client.get("/metrics")).status == 200  # the admin key
    reply = await client.post("/v1/formulations", json={"brief": "musk"}, headers=as_formulator)
    assert reply.status == 202


async def test_health_and_ready_need_no_key(client: TestClient[Any, Any]) -> None:
    for path in ("/health", "/ready"):
        reply = await client.get(path, headers={"Authorization": "Bearer nonsense"})
        assert reply.status in (200, 503)


async def test_the_openapi_document_and_its_page_need_no_key(
    client: TestClient[Any, Any],
) -> None:
    reply = await client.get("/openapi.json", headers={"Authorization": ""})
    assert reply.status == 200 and reply.content_type == "application/json"
    document = await reply.json()
    assert document["openapi"] == "3.1.0" and "/v1/formulations" in document["paths"]
    page = await client.get("/docs", headers={"Authorization": ""})
    assert page.status == 200 and page.content_type == "text/html"
    assert "/openapi.json" in await page.text() and "https://" not in await page.text()


async def test_numbers_are_json_integers_not_booleans_or_text(
    client: TestClient[Any, Any],
) -> None:
    for seed in (False, "3", 2**70, 1.5):
        body = {"brief": "a rose soap", "options": {"seed": seed}}
        reply = await client.post("/v1/formulations", json=body)
        assert (await problem_of(reply, 422))["errors"][0]["field"] == "options.seed"
    reply = await client.post(
        "/v1/formulations", json={"brief": "a rose", "options": {"seed": 3.0}}
    )
    assert reply.status == 202


async def test_the_studio_and_its_files_need_no_key_and_nothing_else_is_served(
    client: TestClient[Any, Any],
) -> None:
    no_key = {"Authorization": ""}
    page = await client.get("/", headers=no_key)
    assert page.status == 200
    assert page.content_type == "text/html"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    html = await page.text()
    for asset, content_type in (("studio.js", "text/javascript"), ("studio.css", "text/css")):
        assert f"/studio/{asset}" in html
        reply = await client.get(f"/studio/{asset}", headers=no_key)
        assert (reply.status, reply.content_type) == (200, content_type)
    for name in ("index.html", "..%2Fstudio.py", "nope.js"):
        assert (await client.get(f"/studio/{name}", headers=no_key)).status == 404


async def test_a_key_reads_its_tenant_and_scopes(client: TestClient[Any, Any]) -> None:
    reply = await client.get("/v1/key", headers=bearer(Scope.TRAIN))
    assert reply.status == 200
    assert (await reply.json())["scopes"] == ["train"]
    assert (await client.get("/v1/key", headers={"Authorization": ""})).status == 401


async def test_jobs_are_listed_newest_first_for_their_tenant_only(
    client: TestClient[Any, Any], memory_store: MemoryStore
) -> None:
    for brief in ("first musk", "second musk"):
        assert (await client.post("/v1/formulations", json={"brief": brief})).status == 202
    listed = await (await client.get("/v1/jobs?limit=5")).json()
    assert [job["brief_text"] for job in listed["jobs"]] == ["second musk", "first musk"]
    assert set(listed["jobs"][0]) == {
        "id", "kind", "status", "created_at", "finished_at", "brief_text", "error"
    }  # fmt: skip
    memory_store.owners = dict.fromkeys(memory_store.owners, "another tenant")
    assert (await (await client.get("/v1/jobs")).json())["jobs"] == []
    for query in ("limit=0", "limit=101", "limit=x", "kind=nope"):
        await problem_of(await client.get(f"/v1/jobs?{query}"), 400)
