"""The system as separate processes on the real embedded parts, for integration tests.

``launch`` starts ``fragrance-ai api`` and ``fragrance-ai worker <role>`` as child
processes on a test's own broker and database; every process it started is stopped
when the test ends, pass or fail (SIGTERM, then SIGKILL). Their logs go to files, not
pipes, so a chatty process never blocks, and a failing test prints them.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from uuid import UUID, uuid4

import aiohttp
import asyncpg
import orjson
import pytest

from fragrance_ai.embedded.broker import EmbeddedBroker, free_loopback_port
from fragrance_ai.store import JobStore, Scope, open_pool
from schemas.jobs import JobStatus

CLI = str(Path(sys.executable).with_name("fragrance-ai"))
STOP_GRACE_S = 10.0
TERMINAL = ("succeeded", "failed", "cancelled")
BRIEF = "a fresh citrus summer scent for men, woody base, under $40/kg"
# Optimised in a twentieth of a second: for tests that need hundreds of jobs.
FAST_BRIEF = "a simple citrus cologne with 3 materials"
# The tenant of the key the `http` client sends when a test launches programs.
TENANT = "tests"


async def create_key(database_url: str, tenant: str = TENANT, scopes: Any = tuple(Scope)) -> str:
    """A new API key in the database, as `fragrance-ai keys create` makes one."""
    pool = await open_pool(database_url, max_size=1)
    try:
        _, key = await JobStore(pool).create_api_key(tenant, scopes)
    finally:
        await pool.close()
    return key


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def wait_for(
    condition: Callable[[], Awaitable[Any]], timeout_s: float, what: str, every_s: float = 0.1
) -> Any:
    """Poll until `condition()` returns something truthy; that value, or a timeout naming `what`."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = await condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:g}s waiting for {what}")
        await asyncio.sleep(every_s)


async def answers_health(url: str) -> bool:
    """Whether the program at `url` answers /health with 200 within two seconds."""
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{url}/health", timeout=aiohttp.ClientTimeout(total=2)) as reply,
        ):
            return reply.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


@dataclass
class Program:
    """One `fragrance-ai` child process and its log file."""

    name: str
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    def log_text(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def is_running(self) -> bool:
        return self.process.poll() is None

    def is_consuming(self) -> bool:
        """A worker's consumers are started: what it logs once, when ready."""
        return "worker consuming" in self.log_text()

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to commit, publish or say goodbye."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.is_running():
            self.process.terminate()
            try:
                self.process.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


@dataclass
class Launcher:
    """Starts programs against one broker and one database; stops them all at the end."""

    bootstrap_servers: str
    database_url: str
    log_dir: Path
    programs: list[Program] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "APP_ENV": "testing",
            "LOG_LEVEL": "INFO",
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "DATABASE_URL": self.database_url,
            **extra,
        }

    def start(self, name: str, args: list[str], **env: str) -> Program:
        log = (self.log_dir / f"{name}.log").open("w+b")
        process = subprocess.Popen(
            [CLI, *args], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env=self.env(**env), start_new_session=True,
        )  # fmt: skip
        program = Program(name, process, log)
        self.programs.append(program)
        return program

    async def api(self, name: str = "api", **env: str) -> str:
        """Start `fragrance-ai api`; its base URL once it answers /health."""
        port = free_loopback_port()
        program = self.start(name, ["api"], FRAGRANCE_API__PORT=str(port), **env)
        url = f"http://127.0.0.1:{port}"
        await wait_for(lambda: self._answers(url, program), 60, f"{name} to answer /health")
        return url

    async def worker(self, role: str, instance_id: str, **env: str) -> Program:
        """Start `fragrance-ai worker <role>`; returns once its consumers are started."""
        program = self.start(
            instance_id, ["worker", role], FRAGRANCE_WORKERS__INSTANCE_ID=instance_id, **env
        )

        async def consuming() -> bool:
            self._check_alive(program)
            return program.is_consuming()

        # a model worker loads and warms its model first: on a loaded 2-core machine over a minute
        await wait_for(consuming, 180, f"worker {instance_id} to start consuming")
        return program

    async def _answers(self, url: str, program: Program) -> bool:
        self._check_alive(program)
        return await answers_health(url)

    @staticmethod
    def _check_alive(program: Program) -> None:
        if not program.is_running():
            raise AssertionError(
                f"{program.name} exited with {program.process.returncode}:\n{program.log_text()}"
            )

    def stop_all(self) -> None:
        for program in reversed(self.programs):
            program.stop()

    def dump_logs(self) -> str:
        return "\n".join(f"----- {p.name} -----\n{p.log_text()[-6000:]}" for p in self.programs)


@pytest.fixture
def launch(
    private_broker: EmbeddedBroker, postgres_db_url: str, request: pytest.FixtureRequest
) -> Iterator[Launcher]:
    """A launcher on a broker and a database of the test's own: no other test's messages
    or consumer-group offsets can reach it."""
    with tempfile.TemporaryDirectory(prefix="fragrance-logs-") as logs:
        launcher = Launcher(private_broker.bootstrap_servers, postgres_db_url, Path(logs))
        try:
            yield launcher
        finally:
            launcher.stop_all()
            report = getattr(request.node, "rep_call", None)
            if report is not None and report.failed:
                print(launcher.dump_logs(), file=sys.stderr)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@dataclass
class Api:
    """A JSON client of one running API; with `key`, it sends that key instead of the
    `http` client's own."""

    session: aiohttp.ClientSession
    base_url: str
    key: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.key) if self.key else {}

    async def submit(self, brief: str = BRIEF, **options: Any) -> UUID:
        body = {"brief": brief, "options": options} if options else {"brief": brief}
        url = f"{self.base_url}/v1/formulations"
        async with self.session.post(url, json=body, headers=self.headers) as reply:
            assert reply.status == 202, await reply.text()
            return UUID((await reply.json())["job_id"])

    async def job(self, job_id: UUID) -> dict[str, Any]:
        url = f"{self.base_url}/v1/jobs/{job_id}"
        async with self.session.get(url, headers=self.headers) as reply:
            assert reply.status == 200, await reply.text()
            result: dict[str, Any] = await reply.json()
            return result

    async def finished(self, job_id: UUID, timeout_s: float = 60) -> dict[str, Any]:
        async def terminal() -> dict[str, Any] | None:
            job = await self.job(job_id)
            return job if job["status"] in TERMINAL else None

        result: dict[str, Any] = await wait_for(terminal, timeout_s, f"job {job_id} to finish")
        return result


@pytest.fixture
async def http(request: pytest.FixtureRequest) -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client; in a test that launches programs, it sends an API key of the
    tenant TENANT with every scope, made in the launcher's database."""
    headers = {}
    if "launch" in request.fixturenames:
        launcher: Launcher = request.getfixturevalue("launch")
        headers = bearer(await create_key(launcher.database_url))
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout, headers=headers) as session:
        yield session


async def results_per_job(database_url: str) -> dict[UUID, dict[str, int]]:
    """For each job, how many events of each type were stored."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT job_id, type, count(*) AS n FROM job_events GROUP BY job_id, type"
        )
    finally:
        await conn.close()
    counts: dict[UUID, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["job_id"], {})[row["type"]] = row["n"]
    return counts


async def job_statuses(database_url: str) -> dict[str, int]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT status, count(*) AS n FROM jobs GROUP BY status")
    finally:
        await conn.close()
    return {row["status"]: row["n"] for row in rows}


@dataclass(frozen=True)
class ServerSentEvent:
    id: str
    event: str
    data: dict[str, Any]


async def read_events(
    session: aiohttp.ClientSession, url: str, last_event_id: str | None = None
) -> list[ServerSentEvent]:
    """Every event of a stream, read until the server ends it (after a job's last event)."""
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    events: list[ServerSentEvent] = []
    fields: dict[str, str] = {}
    async with session.get(url, headers=headers) as reply:
        assert reply.status == 200, await reply.text()
        assert reply.content_type == "text/event-stream"
        async for raw in reply.content:
            line = raw.decode().rstrip("\r\n")
            if line and not line.startswith(":"):
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
            elif not line and "data" in fields:
                data = orjson.loads(fields["data"])
                events.append(ServerSentEvent(fields.get("id", ""), fields.get("event", ""), data))
                fields = {}
    return events


async def fetch(database_url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


async def events_of(database_url: str, job_id: UUID, type: str) -> list[dict[str, Any]]:
    """The payloads of a job's stored events of one type, in order."""
    rows = await fetch(
        database_url,
        "SELECT payload FROM job_events WHERE job_id = $1 AND type = $2 ORDER BY seq",
        job_id,
        type,
    )
    return [orjson.loads(row["payload"]) for row in rows]


async def stage_workers(database_url: str, stage: str) -> dict[UUID, str]:
    """Which worker started `stage` of each job, from the stored StageStarted events."""
    rows = await fetch(
        database_url,
        "SELECT job_id, payload->>'worker' AS worker FROM job_events "
        "WHERE type = 'stage_started' AND payload->>'stage' = $1",
        stage,
    )
    return {row["job_id"]: row["worker"] for row in rows}


async def submit_many(api: Api, count: int, brief: str = BRIEF) -> list[UUID]:
    """`count` jobs posted concurrently, a few at a time."""
    gate = asyncio.Semaphore(16)

    async def one() -> UUID:
        async with gate:
            return await api.submit(brief)

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def until_each_worker_took_a_job(
    api: Api, database_url: str, stage: str, workers: set[str], timeout_s: float = 90
) -> list[UUID]:
    """Post small batches until every one of `workers` has started `stage` of some job:
    a new consumer group settles seconds after its members join. The jobs posted."""
    posted: list[UUID] = []

    async def all_busy() -> bool:
        posted.extend(await submit_many(api, 6, FAST_BRIEF))
        return workers <= set((await stage_workers(database_url, stage)).values())

    await wait_for(all_busy, timeout_s, f"each of {sorted(workers)} to take a job", every_s=0.5)
    return posted


async def all_succeeded(database_url: str, job_ids: list[UUID], timeout_s: float) -> None:
    wanted = set(job_ids)

    async def done() -> bool:
        rows = await fetch(
            database_url,
            "SELECT id, status, error FROM jobs WHERE id = ANY($1::uuid[])",
            list(wanted),
        )
        failed = [(r["id"], r["error"]) for r in rows if r["status"] in ("failed", "cancelled")]
        assert not failed, f"jobs failed: {failed[:5]}"
        return sum(r["status"] == "succeeded" for r in rows) == len(wanted)

    await wait_for(done, timeout_s, f"{len(wanted)} jobs to succeed", every_s=0.5)


async def assert_each_completed_once(database_url: str, job_ids: list[UUID]) -> None:
    """One interpretation, one formula and one optimise command per job, no failure."""
    counts = await results_per_job(database_url)
    once = {"brief_interpreted": 1, "formula_optimized": 1}
    wrong = {
        job: counts.get(job)
        for job in job_ids
        if {k: v for k, v in counts.get(job, {}).items() if k != "stage_started"} != once
    }
    assert not wrong, (
        f"{len(wrong)} jobs without exactly one result each: {list(wrong.items())[:5]}"
    )
    commands = await fetch(
        database_url,
        "SELECT key, count(*) AS n FROM outbox WHERE topic = 'fragrance.commands.rl' GROUP BY key",
    )
    per_job = {UUID(row["key"]): row["n"] for row in commands}
    assert {job: per_job.get(job) for job in job_ids} == dict.fromkeys(job_ids, 1)


async def advance(store: JobStore, job_id: UUID, to_status: JobStatus, **fields: Any) -> bool:
    """Move a stored job as the event recorder does, with an event of its own; whether it
    moved. A final event for an ended job is not recorded, so of concurrent endings
    exactly one is."""
    was = (await store.get_job(job_id)).status
    seq = await store.record_event(
        job_id, f"moved to {to_status}", {}, f"moved:{uuid4()}", to_status, fields
    )
    return seq is not None and was != to_status == (await store.get_job(job_id)).status


async def append_event(
    store: JobStore, job_id: UUID, type: str, payload: dict[str, Any], dedup_key: str
) -> int | None:
    """Record an event that leaves its job where it is, as a stage's progress does; its
    number, or None for a duplicate."""
    status = (await store.get_job(job_id)).status
    return await store.record_event(job_id, type, payload, dedup_key, status, {})
