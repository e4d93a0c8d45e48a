"""Who may do what through the API, on a real `fragrance-ai api` process, its PostgreSQL
and its broker: API keys made by the CLI, tenants that cannot see each other's jobs,
scopes, Idempotency-Key, inputs that once crashed it, and logs that keep secrets."""

from __future__ import annotations

import asyncio
import re
import subprocess
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import aiohttp
import asyncpg
import orjson
import pytest

from fragrance_ai.embedded.broker import free_loopback_port
from fragrance_ai.store import JobStore, Scope, open_pool
from schemas.jobs import JobStatus
from tests.integration.conftest import (
    CLI,
    FAST_BRIEF,
    Api,
    Launcher,
    advance,
    append_event,
    bearer,
    create_key,
    fetch,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

PROBLEM = "application/problem+json"


async def call(
    http: aiohttp.ClientSession, method: str, url: str, key: str | None = None, **kwargs: Any
) -> tuple[int, bytes, Any]:
    """Status, raw body and headers of one request, sent with `key` or with no key at all."""
    headers = {"Authorization": f"Bearer {key}" if key else ""} | kwargs.pop("headers", {})
    async with http.request(method, url, headers=headers, **kwargs) as reply:
        return reply.status, await reply.read(), reply.headers


def job_id_of(body: bytes) -> UUID:
    return UUID(orjson.loads(body)["job_id"])


def keys_cli(launch: Launcher, *args: str) -> str:
    done = subprocess.run(
        [CLI, "keys", *args], env=launch.env(), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_a_key_made_by_the_cli_is_shown_once_kept_as_a_hash_and_revoked(
    launch: Launcher, http: aiohttp.ClientSession
) -> None:
    url = await launch.api()
    printed = keys_cli(launch, "create", "--tenant", "acme", "--scopes", "formulate,train")
    key = re.search(r"^(fai_[0-9a-f]{12}_\S{43})$", printed, re.MULTILINE)
    assert key, printed
    key_id = key[1].split("_")[1]
    secret = key[1].split("_", 2)[2]
    [row] = await fetch(launch.database_url, "SELECT * FROM api_keys WHERE id = $1", key_id)
    assert row["tenant"] == "acme" and sorted(row["scopes"]) == ["formulate", "train"]
    assert row["secret_hash"].startswith("scrypt$")
    assert all(secret not in str(value) for value in dict(row).values())
    assert key_id in keys_cli(launch, "list", "--tenant", "acme")

    body = {"brief": FAST_BRIEF}
    status, _, _ = await call(http, "POST", f"{url}/v1/formulations", key[1], json=body)
    assert status == 202
    no_key = await call(http, "POST", f"{url}/v1/formulations", None, json=body)
    assert no_key[0] == 401

    assert f"revoked {key_id}" in keys_cli(launch, "revoke", key_id)
    revoked = await call(http, "POST", f"{url}/v1/formulations", key[1], json=body)
    assert revoked[:2] == no_key[:2], "a revoked key is answered like no key at all"
    [listed] = [line for line in keys_cli(launch, "list").splitlines() if key_id in line]
    assert "revoked" in listed


async def test_a_tenant_cannot_read_follow_or_cancel_another_tenants_job(
    launch: Launcher, http: aiohttp.ClientSession
) -> None:
    url = await launch.api()
    acme, globex = await asyncio.gather(
        create_key(launch.database_url, "acme", [Scope.FORMULATE, Scope.TRAIN]),
        create_key(launch.database_url, "globex", [Scope.FORMULATE, Scope.TRAIN]),
    )
    status, body, _ = await call(
        http, "POST", f"{url}/v1/formulations", acme, json={"brief": FAST_BRIEF}
    )
    assert status == 202
    job_id = job_id_of(body)
    status, body, _ = await call(http, "POST", f"{url}/v1/training-runs", acme, json={})
    run_id = job_id_of(body)
    [owners] = await fetch(
        launch.database_url,
        "SELECT array_agg(DISTINCT tenant) AS t FROM jobs WHERE id = ANY($1::uuid[])",
        [job_id, run_id],
    )
    assert owners["t"] == ["acme"]

    missing = uuid.uuid4()
    paths = {"/v1/jobs/{}": job_id, "/v1/training-runs/{}": run_id}
    for path, owned in paths.items():
        theirs = await call(http, "GET", url + path.format(owned), globex)
        nobodys = await call(http, "GET", url + path.format(missing), globex)
        assert theirs[0] == nobodys[0] == 404, path
        assert (await call(http, "GET", url + path.format(owned), acme))[0] == 200, path
    events = f"{url}/v1/jobs/{job_id}/events"
    assert (await call(http, "GET", events, globex))[0] == 404
    async with http.get(events, headers=bearer(acme)) as stream:
        assert stream.status == 200 and stream.content_type == "text/event-stream"
    cancel = await call(http, "POST", f"{url}/v1/jobs/{job_id}/cancel", globex)
    assert cancel[0] == 404
    [row] = await fetch(launch.database_url, "SELECT status FROM jobs WHERE id = $1", job_id)
    assert row["status"] == "queued", "another tenant's cancel changed nothing"
    assert (await call(http, "POST", f"{url}/v1/jobs/{job_id}/cancel", acme))[0] == 200


async def test_scopes_guard_training_and_metrics_and_runs_are_named_by_job_id(
    launch: Launcher, http: aiohttp.ClientSession
) -> None:
    url = await launch.api()
    formulator, trainer, admin = await asyncio.gather(
        create_key(launch.database_url, "acme", [Scope.FORMULATE]),
        create_key(launch.database_url, "acme", [Scope.TRAIN]),
        create_key(launch.database_url, "acme", [Scope.ADMIN]),
    )
    runs = f"{url}/v1/training-runs"
    assert (await call(http, "POST", runs, formulator, json={}))[0] == 403
    brief = {"brief": FAST_BRIEF}
    assert (await call(http, "POST", f"{url}/v1/formulations", trainer, json=brief))[0] == 403
    status, body, _ = await call(http, "POST", runs, trainer, json={"run": "the-served-one"})
    assert status == 422 and b"job id" in body
    status, body, _ = await call(http, "POST", runs, trainer, json={"total_timesteps": 8192})
    assert status == 202, body
    job_id = job_id_of(body)
    [row] = await fetch(launch.database_url, "SELECT options FROM jobs WHERE id = $1", job_id)
    assert orjson.loads(row["options"])["run"] == f"run-{job_id.hex}"

    assert (await call(http, "GET", f"{url}/metrics", None))[0] == 401
    assert (await call(http, "GET", f"{url}/metrics", trainer))[0] == 403
    status, body, _ = await call(http, "GET", f"{url}/metrics", admin)
    assert status == 200 and b"http_requests_total" in body
    for path in ("/health", "/ready"):
        assert (await call(http, "GET", url + path, None))[0] == 200


async def test_an_idempotency_key_gives_one_job_per_body_for_a_day(
    launch: Launcher, http: aiohttp.ClientSession
) -> None:
    """Stripe's rules, shared by every replica: two API processes on one database."""
    first_api, second_api = await asyncio.gather(launch.api("api-1"), launch.api("api-2"))
    acme, globex = await asyncio.gather(
        create_key(launch.database_url, "acme", [Scope.FORMULATE]),
        create_key(launch.database_url, "globex", [Scope.FORMULATE]),
    )
    brief = {"brief": FAST_BRIEF, "options": {"seed": 3}}
    same_brief = b'{"options": {"seed": 3},  "brief": "' + FAST_BRIEF.encode() + b'"}'
    once = {"Idempotency-Key": "order-1"}

    async def post(base: str, key: str, **kwargs: Any) -> tuple[int, bytes, Any]:
        headers = once | {"Content-Type": "application/json"}
        return await call(http, "POST", f"{base}/v1/formulations", key, headers=headers, **kwargs)

    first = await post(first_api, acme, json=brief)
    assert first[0] == 202
    # Retried on the other replica, the same body spelt otherwise: the same answer.
    again = await post(second_api, acme, data=same_brief)
    assert again[:2] == first[:2]
    assert again[2]["Idempotent-Replayed"] == "true"
    assert again[2]["Location"] == first[2]["Location"]
    # Sent at once, many times: still one job.
    many = await asyncio.gather(*(post(first_api, acme, json=brief) for _ in range(8)))
    assert {reply[1] for reply in many} == {first[1]}
    other = await post(second_api, acme, json={"brief": "a rose soap"})
    assert other[0] == 422 and b"Idempotency-Key" in other[1]
    # Keys are a tenant's own.
    theirs = await post(first_api, globex, json=brief)
    assert theirs[0] == 202 and job_id_of(theirs[1]) != job_id_of(first[1])
    rows = await fetch(launch.database_url, "SELECT tenant, count(*) AS n FROM jobs GROUP BY 1")
    assert {row["tenant"]: row["n"] for row in rows} == {"acme": 1, "globex": 1}

    # After 24 hours the key is free again.
    conn = await asyncpg.connect(launch.database_url)
    try:
        await conn.execute(
            "UPDATE idempotency_keys SET created_at = now() - interval '24 hours 1 minute'"
        )
    finally:
        await conn.close()
    later = await post(first_api, acme, json={"brief": "a rose soap"})
    assert later[0] == 202 and job_id_of(later[1]) != job_id_of(first[1])


async def test_inputs_that_once_crashed_the_api_get_a_clear_4xx(
    launch: Launcher, http: aiohttp.ClientSession
) -> None:
    url = await launch.api()
    key = await create_key(launch.database_url, "acme", [Scope.FORMULATE])
    as_json = {"Content-Type": "application/json"}
    posts = {
        b'{"brief": "amber \\u0000 musk"}': 422,
        b'{"brief": "amber \\udc80 musk"}': 400,
        b'{"brief": "amber \xed\xb2\x80 musk"}': 400,
        b'{"brief": "' + b"[" * 100_000 + b'"}': 413,
        b"[" * 5_000 + b"]" * 5_000: 400,
    }
    for body, expected in posts.items():
        status, text, headers = await call(
            http, "POST", f"{url}/v1/formulations", key, data=body, headers=as_json
        )
        assert status == expected, (body[:40], text)
        assert headers["Content-Type"] == PROBLEM
    status, _, _ = await call(
        http, "POST", f"{url}/v1/formulations", key, data=b"brief=musk",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    assert status == 415
    status, _, headers = await call(http, "PUT", f"{url}/v1/formulations", key)
    assert status == 405 and headers["Allow"] == "POST"
    status, _, headers = await call(http, "DELETE", f"{url}/v1/jobs/{uuid.uuid4()}", key)
    assert status == 405 and headers["Allow"].split(",")[0] == "GET"

    status, body, _ = await call(
        http, "POST", f"{url}/v1/formulations", key, json={"brief": FAST_BRIEF},
        headers={"X-Correlation-ID": "caf\xe9 \u00b2".encode().decode("latin-1")},
    )  # fmt: skip
    assert status == 202, body
    events = f"{url}/v1/jobs/{job_id_of(body)}/events"
    for last_event_id in ("²", "٣", "9" * 10_000, "4294967296"):
        raw = last_event_id.encode().decode("latin-1")
        status, text, _ = await call(http, "GET", events, key, headers={"Last-Event-ID": raw})
        assert status == 400, (last_event_id[:10], text)
    for idempotency_key in ("é", "x" * 300, " "):
        raw = idempotency_key.encode().decode("latin-1")
        status, _, _ = await call(
            http, "POST", f"{url}/v1/formulations", key, json={"brief": FAST_BRIEF},
            headers={"Idempotency-Key": raw},
        )  # fmt: skip
        assert status == 400, idempotency_key
    api_log = launch.programs[0].log_text()
    assert "unhandled error" not in api_log, api_log[-3000:]


async def test_a_failing_request_logs_neither_the_brief_nor_the_database_password(
    launch: Launcher, http: aiohttp.ClientSession
) -> None:
    """A canary brief and a canary password, and a database that refuses every job."""
    password = f"canary-password-{uuid.uuid4().hex[:8]}"
    brief = f"canary brief {uuid.uuid4().hex[:8]}: an oud for a sultan"
    role = f"canary_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(launch.database_url)
    try:
        await conn.execute(f"CREATE ROLE {role} LOGIN SUPERUSER PASSWORD '{password}'")
        await conn.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'jobs are refused today'; END $$;"
            " CREATE TRIGGER refuse BEFORE INSERT ON jobs FOR EACH ROW EXECUTE FUNCTION refuse()"
        )
    finally:
        await conn.close()
    # The embedded server's URL names a socket folder (?host=...), so no host or port here.
    parts = urlsplit(launch.database_url)
    host = parts.netloc.rpartition("@")[2]
    with_password = urlunsplit(parts._replace(netloc=f"{role}:{password}@{host}"))
    port = free_loopback_port()
    url = f"http://127.0.0.1:{port}"
    api = launch.start(
        "api-json", ["api"], DATABASE_URL=with_password, LOG_FORMAT="json",
        FRAGRANCE_API__PORT=str(port),
    )  # fmt: skip
    key = await create_key(launch.database_url, "acme", [Scope.FORMULATE])

    async def answering() -> bool:
        try:
            return (await call(http, "GET", f"{url}/health"))[0] == 200
        except aiohttp.ClientConnectionError:
            return False

    await wait_for(answering, 60, "the API to answer")
    status, body, _ = await call(http, "POST", f"{url}/v1/formulations", key, json={"brief": brief})
    assert status == 500, body
    assert brief.encode() not in body and b"refused" not in body
    log = api.log_text()
    assert "unhandled error" in log and "Traceback" not in log  # it failed, and was logged
    assert "jobs are refused today" in log  # with its reason, for an operator
    assert brief not in log
    assert password not in log


async def test_keys_without_admin_see_no_worker_raw_output_paths_or_exception_text(
    launch: Launcher, http: aiohttp.ClientSession
) -> None:
    url = await launch.api()
    user, operator = await asyncio.gather(
        create_key(launch.database_url, "acme", [Scope.FORMULATE, Scope.TRAIN]),
        create_key(launch.database_url, "acme", [Scope.ADMIN]),
    )
    status, body, _ = await call(http, "POST", f"{url}/v1/training-runs", user, json={})
    assert status == 202
    run_id = job_id_of(body)
    status, body, _ = await call(
        http, "POST", f"{url}/v1/formulations", user, json={"brief": FAST_BRIEF}
    )
    assert status == 202
    job_id = job_id_of(body)
    internals = ["worker-7.internal:4242", "RAW MODEL OUTPUT", "/var/lib/ckpt", "Traceback-ish"]
    pool = await open_pool(launch.database_url, max_size=1)
    try:
        store = JobStore(pool)
        outcome = {
            "run": f"run-{run_id.hex}", "status": "completed", "iterations": 2,
            "global_step": 8192, "resumed_from_step": None, "eval_objective": 0.5,
            "checkpoint": "/var/lib/ckpt/step-2.pt", "policy": "/var/lib/ckpt/policy.pt",
        }  # fmt: skip
        await append_event(store, run_id, "stage_started", {"worker": internals[0]}, "s")
        await append_event(store, run_id, "policy_trained", {"outcome": outcome}, "p")
        assert await advance(store, run_id, JobStatus.OPTIMISING)
        assert await advance(store, run_id, JobStatus.SUCCEEDED, result=outcome)
        await append_event(
            store, job_id, "brief_interpreted", {"details": {"raw_output": internals[1]}}, "b"
        )
        failed = {"stage": "optimising", "reason": "gave up", "detail": internals[3]}
        await append_event(store, job_id, "job_failed", failed, "f")
        assert await advance(store, job_id, JobStatus.FAILED, error="optimising: gave up")
    finally:
        await pool.close()

    async def everything(key: str) -> bytes:
        answers = [await call(http, "GET", f"{url}/v1/jobs/{job}", key) for job in (run_id, job_id)]
        answers.append(await call(http, "GET", f"{url}/v1/training-runs/{run_id}", key))
        answers.append(await call(http, "GET", f"{url}/v1/jobs/{run_id}/events", key))
        answers.append(await call(http, "GET", f"{url}/v1/jobs/{job_id}/events", key))
        assert all(status == 200 for status, _, _ in answers)
        return b"\n".join(body for _, body, _ in answers)

    seen_by_user, seen_by_operator = await everything(user), await everything(operator)
    for internal in internals:
        assert internal.encode() in seen_by_operator, internal
        assert internal.encode() not in seen_by_user, internal
    assert b"policy_trained" in seen_by_user and b'"global_step":8192' in seen_by_user


def untrained_policy(path: Path) -> None:
    """A policy file as a finished run leaves one (untrained: its formula is still valid)."""
    from fragrance_ai.training.policy import Policy
    from fragrance_ai.training.problem import DEFAULT_BRIEF, compile_problem
    from fragrance_ai.training.trainer import PPOTrainer
    from tests.unit.test_ppo import small_config

    config = small_config()
    trainer = PPOTrainer(config, lambda _rng: [compile_problem(DEFAULT_BRIEF, 8)])
    Policy(trainer.agent, config).save(path)


async def test_only_an_admin_promotes_the_policy_that_optimizer_policy_serves(
    launch: Launcher, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    checkpoints = tmp_path / "ckpt"
    url, *_ = await asyncio.gather(
        launch.api(),
        launch.worker("llm", "llm-1"),
        launch.worker("rl", "rl-1", CHECKPOINT_DIR=str(checkpoints)),
    )
    trainer, admin = await asyncio.gather(
        create_key(launch.database_url, "acme", [Scope.FORMULATE, Scope.TRAIN]),
        create_key(launch.database_url, "acme", [Scope.ADMIN]),
    )
    runs = []
    for _ in range(2):
        status, body, _ = await call(http, "POST", f"{url}/v1/training-runs", trainer, json={})
        assert status == 202
        runs.append(job_id_of(body))
    first, second = runs
    # The first run finished (as a training worker records it) and left its policy.
    pool = await open_pool(launch.database_url, max_size=1)
    try:
        store = JobStore(pool)
        assert await advance(store, first, JobStatus.OPTIMISING)
        assert await advance(store, first, JobStatus.SUCCEEDED, result={"run": "…"})
    finally:
        await pool.close()
    await asyncio.to_thread(untrained_policy, checkpoints / f"run-{first.hex}" / "policy.pt")

    async def formulate_with_policy() -> dict[str, Any]:
        status, body, _ = await call(
            http, "POST", f"{url}/v1/formulations", trainer,
            json={"brief": FAST_BRIEF, "options": {"optimizer": "policy"}},
        )  # fmt: skip
        assert status == 202, body
        return await Api(http, url, trainer).finished(job_id_of(body), timeout_s=120)

    job = await formulate_with_policy()
    assert job["status"] == "failed" and "promote" in job["error"], job["error"]
    assert str(checkpoints) not in job["error"]

    promote = f"{url}/v1/training-runs/{{}}/promote"
    assert (await call(http, "POST", promote.format(first), trainer))[0] == 403
    assert (await call(http, "POST", promote.format(second), admin))[0] == 409  # unfinished
    status, body, _ = await call(http, "POST", promote.format(first), admin)
    assert status == 200, body
    job = await formulate_with_policy()
    assert job["status"] == "succeeded", job["error"]
    assert job["formula"]["lines"]

    # A newer policy, not promoted, is not served: with the promoted one gone, nothing is.
    await asyncio.to_thread(untrained_policy, checkpoints / f"run-{second.hex}" / "policy.pt")
    (checkpoints / f"run-{first.hex}" / "policy.pt").unlink()
    job = await formulate_with_policy()
    assert job["status"] == "failed", job
    assert f"run-{first.hex}" in job["error"]
