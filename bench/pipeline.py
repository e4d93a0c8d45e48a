"""Pipeline figures (issues 3 and 16): N jobs through the whole system on the embedded
parts, beside N bare aiokafka produce-then-consume round trips on the same broker and
beside the domain work alone, the ceiling.

The system runs as in production, one process each: `fragrance-ai api`, `worker llm`,
`worker rl`, on an embedded Tansu and an embedded PostgreSQL this script starts. Jobs
run in a closed loop, `--concurrency` at a time: post over HTTP, follow the job's SSE
stream to its end, post the next. A job's latency is its `finished_at` less its
`created_at`, both stamped by PostgreSQL. The bare round trips run the same way (send,
wait for one consumer to receive, send the next) and are timed from send to receipt;
their CPU (the broker's, and this script's as their client) is printed per six, the
messages of one job (two commands, four events), each with nothing around it.

On Tansu a waiting fetch is not woken by a produce: it answers when fetch_max_wait_ms
runs out, so each consumer hop costs about half of it (see --fetch-max-wait-ms).

The ceiling: the same brief interpreted (rule-based, as the workers read it under these
settings) and optimised (reference) with nothing around it, in as many processes as
there are CPUs, `--concurrency` at a time, each timed from submission to result. No
pipeline on this machine can beat it, so the pipeline is judged by its share of it. It
runs once before the pipeline and once after, and the ratios take the two together: on
the 2-core development machine its figure ranged from 26 to 41 jobs/s over eight runs of
one hour, and a ceiling measured only before would carry that drift into the ratio.

CPU per job: the CPU time each process spent while the pipeline's jobs ran (user and
system, its threads and its children, reaped or alive: PostgreSQL's backends are the
postmaster's children) over the number of jobs. Beside it, from pg_stat_statements, the
statements all processes sent PostgreSQL in that time, per job: a count, which does not
drift with the machine as CPU time does.

Run: python bench/pipeline.py [--jobs 1000] [--brief TEXT] [--concurrency 32]
     [--fetch-max-wait-ms 50] [--rl-concurrency N] [--profile DIR]
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import asyncpg
import psutil
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from brokers.topics import TopicSpec, create_topics
from fragrance_ai.embedded.broker import EmbeddedBroker, free_loopback_port
from fragrance_ai.embedded.postgres import EmbeddedPostgres, running_postmaster
from fragrance_ai.store import JobStore, Scope, migrate, open_pool

CLI = str(Path(sys.executable).with_name("fragrance-ai"))
FAST_BRIEF = "a simple citrus cologne with 3 materials"
ROUND_TRIP_TOPIC = "bench.round-trips"
MESSAGES_PER_JOB = 6
"""A formulation's messages: a command to each of two workers, and four events."""


@dataclass(frozen=True)
class Figures:
    count: int
    wall_s: float
    latencies_s: list[float]

    @property
    def per_second(self) -> float:
        return self.count / self.wall_s

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_s)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def pooled(self, other: "Figures") -> "Figures":
        """Two runs of the same work as one: their jobs over their time together."""
        return Figures(
            self.count + other.count,
            self.wall_s + other.wall_s,
            self.latencies_s + other.latencies_s,
        )

    def line(self, name: str) -> str:
        return (
            f"{name:<28} {self.per_second:9.1f}/s   p50 {self.percentile(50) * 1000:8.1f} ms"
            f"   p99 {self.percentile(99) * 1000:8.1f} ms"
        )


def cpu_seconds(pid: int) -> float:
    """CPU a process and all its descendants have used so far, the reaped ones included
    (they are in their parent's children_* times); 0 for a process gone meanwhile."""
    total = 0.0
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    for process in processes:
        try:
            t = process.cpu_times()
        except psutil.NoSuchProcess:
            continue  # exited between the listing and now: its parent has counted it
        total += t.user + t.system + t.children_user + t.children_system
    return total


@dataclass
class CpuMeter:
    """CPU seconds of named processes between `start()` and `stop()`."""

    pids: dict[str, int]
    started: dict[str, float] = field(default_factory=dict)
    used_s: dict[str, float] = field(default_factory=dict)

    def snapshot(self) -> dict[str, float]:
        own = psutil.Process().cpu_times()
        # The benchmark's own process (the HTTP clients) without its children.
        return {
            **{name: cpu_seconds(pid) for name, pid in self.pids.items()},
            "bench client": own.user + own.system,
        }

    def start(self) -> None:
        self.started = self.snapshot()

    def stop(self) -> None:
        ended = self.snapshot()
        self.used_s = {name: ended[name] - self.started[name] for name in ended}

    def table(self, count: float, per: str = "job") -> str:
        lines = [f"{'CPU per ' + per:<28} {'ms':>9}"]
        for name, used in self.used_s.items():
            lines.append(f"  {name:<26} {used / count * 1000:9.1f}")
        lines.append(f"  {'all':<26} {sum(self.used_s.values()) / count * 1000:9.1f}")
        return "\n".join(lines)


def launch(
    args: list[str], env: dict[str, str], log: Path, profile: Path | None = None
) -> subprocess.Popen[bytes]:
    """`fragrance-ai ARGS`; under cProfile, its statistics written to `profile` when it
    stops, where one is named."""
    command = [CLI, *args]
    if profile is not None:
        command = [sys.executable, "-m", "cProfile", "-o", str(profile), *command]
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            command, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
        )


@asynccontextmanager
async def system(
    bootstrap: str, database_url: str, logs: Path, args: argparse.Namespace
) -> AsyncIterator[tuple[str, dict[str, int]]]:
    """api, an LLM worker and an RL worker as child processes; yields the API's URL and
    the processes' pids by name."""
    port = free_loopback_port()
    profiles: Path | None = args.profile
    env = {
        **os.environ,
        "APP_ENV": "testing",
        "FRAGRANCE_WORKERS__RL__CONCURRENCY": str(args.rl_concurrency),
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "DATABASE_URL": database_url,
        "FRAGRANCE_API__PORT": str(port),
    }
    processes = [
        launch(
            args,
            env,
            logs / f"{'-'.join(args)}.log",
            profiles / f"{'-'.join(args)}.prof" if profiles is not None else None,
        )
        for args in (["api"], ["worker", "llm"], ["worker", "rl"])
    ]
    names = ("api", "worker llm", "worker rl")
    try:
        yield f"http://127.0.0.1:{port}", {n: p.pid for n, p in zip(names, processes, strict=True)}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=15)


async def wait_until_answering(session: aiohttp.ClientSession, url: str) -> None:
    for _ in range(600):
        try:
            async with session.get(f"{url}/health") as reply:
                if reply.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"the API at {url} did not answer within 60 s")


async def run_jobs(
    session: aiohttp.ClientSession, url: str, count: int, brief: str, concurrency: int
) -> list[str]:
    """`count` jobs, `concurrency` at a time: each slot posts a job and follows its
    event stream to the end before posting the next."""
    gate = asyncio.Semaphore(concurrency)

    async def one() -> str:
        async with gate:
            async with session.post(f"{url}/v1/formulations", json={"brief": brief}) as reply:
                if reply.status != 202:
                    raise RuntimeError(f"POST answered {reply.status}: {await reply.text()}")
                accepted = await reply.json()
            async with session.get(url + accepted["links"]["events"]) as stream:
                async for _ in stream.content:
                    pass  # the server ends the stream after the job's last event
            return str(accepted["job_id"])

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def wait_for_jobs(database_url: str, job_ids: list[str], timeout_s: float) -> Figures:
    conn = await asyncpg.connect(database_url)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            rows = await conn.fetch(
                "SELECT status, created_at, finished_at FROM jobs WHERE id = ANY($1::uuid[])",
                job_ids,
            )
            if all(row["finished_at"] is not None for row in rows):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"jobs still running after {timeout_s:.0f} s")
            await asyncio.sleep(0.2)
    finally:
        await conn.close()
    failed = [row for row in rows if row["status"] != "succeeded"]
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(rows)} jobs did not succeed")
    start = min(row["created_at"] for row in rows)
    end = max(row["finished_at"] for row in rows)
    latencies = [(row["finished_at"] - row["created_at"]).total_seconds() for row in rows]
    return Figures(len(rows), (end - start).total_seconds(), latencies)


async def stage_gaps(database_url: str, job_ids: list[str]) -> str:
    """Where a job's time goes: the median wait from its creation to each event, and
    from each event to the next, by PostgreSQL's clock."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT e.type, e.payload->>'stage' AS stage,"
            " extract(epoch FROM e.created_at - lag(e.created_at, 1, j.created_at)"
            "   OVER (PARTITION BY e.job_id ORDER BY e.seq)) AS gap_s, e.seq"
            " FROM job_events e JOIN jobs j ON j.id = e.job_id"
            " WHERE e.job_id = ANY($1::uuid[]) ORDER BY e.seq",
            job_ids,
        )
    finally:
        await conn.close()
    gaps: dict[str, list[float]] = {}
    for row in rows:
        name = row["type"] + (f" ({row['stage']})" if row["stage"] else "")
        gaps.setdefault(name, []).append(float(row["gap_s"]))
    lines = [f"{'median wait before each event':<40} {'ms':>9}"]
    for name, waits in gaps.items():
        lines.append(f"  {name:<38} {statistics.median(waits) * 1000:9.1f}")
    return "\n".join(lines)


async def bench_key(database_url: str) -> str:
    """An API key for the benchmark's requests, as `fragrance-ai keys create` makes one."""
    pool = await open_pool(database_url, max_size=1)
    try:
        _, key = await JobStore(pool).create_api_key("bench", [Scope.FORMULATE])
    finally:
        await pool.close()
    return key


async def pipeline(
    bootstrap: str, database_url: str, parts: dict[str, int], args: argparse.Namespace
) -> tuple[Figures, CpuMeter]:
    key = await bench_key(database_url)
    with tempfile.TemporaryDirectory(prefix="fragrance-bench-") as logs:
        async with (
            system(bootstrap, database_url, Path(logs), args) as (url, pids),
            aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"}) as session,
        ):
            await wait_until_answering(session, url)
            # One job first: consumer groups on the embedded broker settle seconds
            # after their members join, which is start-up, not throughput.
            await wait_for_jobs(database_url, await run_jobs(session, url, 1, args.brief, 1), 1)
            meter = CpuMeter({**pids, **parts})
            await execute(database_url, "SELECT pg_stat_statements_reset()")
            meter.start()
            job_ids = await run_jobs(session, url, args.jobs, args.brief, args.concurrency)
            meter.stop()
            statements = await statements_per_job(database_url, args.jobs)
            figures = await wait_for_jobs(database_url, job_ids, timeout_s=10)
            print(await stage_gaps(database_url, job_ids))
            print(statements)
            return figures, meter


async def execute(database_url: str, statement: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def enable_statement_counts(database: EmbeddedPostgres) -> None:
    """PostgreSQL's pg_stat_statements, which loads only at the server's start."""
    await execute(database.url, "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
    await asyncio.to_thread(database.stop)
    await asyncio.to_thread(database.start)
    await execute(database.url, "CREATE EXTENSION pg_stat_statements")


async def statements_per_job(database_url: str, jobs: int, top: int = 12) -> str:
    """The statements every process ran while the jobs ran, per job: all of them, and
    the `top` most frequent. Unlike CPU time, a count does not move with the machine."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT calls, regexp_replace(query, '\\s+', ' ', 'g') AS query"
            " FROM pg_stat_statements ORDER BY calls DESC"
        )
    finally:
        await conn.close()
    lines = [f"{'PostgreSQL statements per job':<40} {sum(r['calls'] for r in rows) / jobs:9.1f}"]
    for row in rows[:top]:
        lines.append(f"  {row['calls'] / jobs:6.2f}  {row['query'][:70]}")
    return "\n".join(lines)


def domain_work(brief: str) -> float:
    """One job's domain work as the workers do it; its CPU seconds."""
    from fragrance_ai.interpreter import interpret
    from fragrance_ai.optimiser import optimise

    started = time.process_time()
    optimise(interpret(brief).brief)
    return time.process_time() - started


async def ceiling(
    brief: str, count: int, concurrency: int, processes: int
) -> tuple[Figures, float]:
    """`count` jobs of domain work on `processes` processes, `concurrency` submitted at a
    time, each timed from submission to result; and the mean CPU seconds of one."""
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(processes) as pool:
        # Each process loads the catalogue and the tables once, before the clock starts.
        await asyncio.gather(
            *(loop.run_in_executor(pool, domain_work, brief) for _ in range(processes * 2))
        )
        gate = asyncio.Semaphore(concurrency)
        latencies: list[float] = []
        cpu: list[float] = []

        async def one() -> None:
            async with gate:
                submitted = time.perf_counter()
                cpu.append(await loop.run_in_executor(pool, domain_work, brief))
                latencies.append(time.perf_counter() - submitted)

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(count)))
        return Figures(count, time.perf_counter() - started, latencies), statistics.fmean(cpu)


async def round_trips(
    bootstrap: str, count: int, concurrency: int, fetch_max_wait_ms: int
) -> Figures:
    """`count` records produced (at most `concurrency` in flight), each timed to receipt."""
    await create_topics(bootstrap, [TopicSpec(name=ROUND_TRIP_TOPIC, partitions=1)])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=5)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, auto_offset_reset="latest", fetch_max_wait_ms=fetch_max_wait_ms
    )
    await producer.start()
    await consumer.start()
    try:
        consumer.assign([TopicPartition(ROUND_TRIP_TOPIC, 0)])
        await consumer.seek_to_end(TopicPartition(ROUND_TRIP_TOPIC, 0))
        sent_at: dict[bytes, float] = {}
        latencies: list[float] = []
        gate = asyncio.Semaphore(concurrency)

        async def receive() -> None:
            # getone, not a getmany(timeout_ms) loop: the latter adds ~250 ms per record.
            while len(latencies) < count:
                record = await consumer.getone()
                latencies.append(time.perf_counter() - sent_at[record.key])
                gate.release()

        async def send(number: int) -> None:
            await gate.acquire()
            key = str(number).encode()
            sent_at[key] = time.perf_counter()
            await producer.send_and_wait(ROUND_TRIP_TOPIC, b"{}", key=key)

        started = time.perf_counter()
        receiving = asyncio.create_task(receive())
        await asyncio.gather(*(send(n) for n in range(count)))
        await asyncio.wait_for(receiving, 120)
        return Figures(count, time.perf_counter() - started, latencies)
    finally:
        await producer.stop()
        await consumer.stop()


def ratio_line(name: str, over: Figures, under: Figures) -> str:
    return (
        f"{name:<28} {over.per_second / under.per_second:9.2f}x"
        f"   p50 {over.percentile(50) / under.percentile(50):8.2f}x"
        f"   p99 {over.percentile(99) / under.percentile(99):8.2f}x"
    )


async def main(args: argparse.Namespace) -> None:
    cpus = os.cpu_count() or 1
    before, before_cpu_s = await ceiling(args.brief, args.jobs, args.concurrency, cpus)
    with tempfile.TemporaryDirectory(prefix="fragrance-bench-pg-") as root:
        async with EmbeddedBroker() as broker:
            database = EmbeddedPostgres(Path(root) / "data")
            await asyncio.to_thread(database.start)
            try:
                await enable_statement_counts(database)
                await migrate(database.url)
                parts = {"broker (tansu)": broker.pid or 0}
                kafka_meter = CpuMeter(dict(parts))
                kafka_meter.start()
                kafka = await round_trips(
                    broker.bootstrap_servers, args.jobs, args.concurrency, args.fetch_max_wait_ms
                )
                kafka_meter.stop()
                if (postmaster := running_postmaster(database.data_dir)) is not None:
                    parts["postgresql"] = postmaster
                jobs, meter = await pipeline(broker.bootstrap_servers, database.url, parts, args)
            finally:
                await asyncio.to_thread(database.stop)
    after, after_cpu_s = await ceiling(args.brief, args.jobs, args.concurrency, cpus)
    domain = before.pooled(after)
    print(
        f"{args.jobs} jobs, brief {args.brief!r}, {args.concurrency} in flight, {cpus} CPUs,"
        f" workers.rl.concurrency {args.rl_concurrency}"
    )
    print(jobs.line("pipeline (POST to succeeded)"))
    print(before.line(f"domain work, {cpus} proc, before"))
    print(after.line(f"domain work, {cpus} proc, after"))
    print(domain.line("domain work, both"))
    print(kafka.line("aiokafka produce->consume"))
    print(meter.table(args.jobs))
    print(f"  {'(domain work alone)':<26} {(before_cpu_s + after_cpu_s) / 2 * 1000:9.1f}")
    print(ratio_line("ratio pipeline / domain", jobs, domain))
    print(f"{'  issue 16 asks':<28} {'>= 0.70':>8}x   {'':>13}   p99 {'<= 3.00':>8}x")
    print(kafka_meter.table(args.jobs / MESSAGES_PER_JOB, per=f"{MESSAGES_PER_JOB} round trips"))
    print(ratio_line("ratio kafka / pipeline", kafka, jobs))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000, help="jobs, and round trips")
    parser.add_argument("--brief", default=FAST_BRIEF, help="the brief every job carries")
    parser.add_argument(
        "--concurrency", type=int, default=32, help="jobs (and round trips) in flight"
    )
    parser.add_argument(
        "--fetch-max-wait-ms",
        type=int,
        default=500,
        help="the bare consumer's fetch_max_wait_ms (500: aiokafka's and FastStream's default)",
    )
    parser.add_argument(
        "--rl-concurrency",
        type=int,
        default=os.cpu_count() or 1,
        help="the RL worker's workers.rl.concurrency: formulas optimised at once (default: CPUs)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="a folder: run the api and the workers under cProfile, one .prof file each there",
    )
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
