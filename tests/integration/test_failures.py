"""What goes wrong in production, shown on the real broker: a worker killed mid-stream,
poison messages, a broker that stops answering, a database that keeps shutting down."""

from __future__ import annotations

import asyncio
import re
import signal
import time
from collections import Counter
from uuid import uuid4

import aiohttp
import asyncpg
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import RecordMetadata
from faststream.kafka import KafkaRouter
from faststream.middlewares import AckPolicy

from brokers.dead_letter import delivery_attempt
from brokers.factory import make_broker, subscriber_options
from brokers.topics import DEAD_LETTER_TOPIC, command_topic, create_topics, topic_catalogue
from fragrance_ai.config_loader import load_settings
from fragrance_ai.embedded.broker import EmbeddedBroker, free_loopback_port
from fragrance_ai.interpreter import interpret
from fragrance_ai.store import JobStore, open_pool
from handlers.publishing import failure_policy
from schemas.jobs import JobKind, JobStatus
from schemas.messages import FormulationOptions, InterpretBrief
from tests.integration.conftest import (
    FAST_BRIEF,
    TENANT,
    Api,
    Launcher,
    advance,
    all_succeeded,
    assert_each_completed_once,
    fetch,
    stage_workers,
    submit_many,
    until_each_worker_took_a_job,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


async def taken_by(database_url: str, worker: str) -> int:
    return Counter((await stage_workers(database_url, "optimising")).values())[worker]


async def test_a_worker_killed_mid_stream_loses_no_job_and_doubles_none(
    launch: Launcher, http: aiohttp.ClientSession
) -> None:
    url, _, victim, _ = await asyncio.gather(
        launch.api(),
        launch.worker("llm", "llm-1"),
        launch.worker("rl", "rl-victim"),
        launch.worker("rl", "rl-survivor"),
    )
    api = Api(http, url)
    warm_up = await until_each_worker_took_a_job(
        api, launch.database_url, "optimising", {"rl-victim", "rl-survivor"}
    )
    await all_succeeded(launch.database_url, warm_up, timeout_s=60)
    taken_before = await taken_by(launch.database_url, "rl-victim")
    stream = asyncio.create_task(submit_many(api, 200, FAST_BRIEF))

    async def victim_busy_with_the_stream() -> bool:
        return await taken_by(launch.database_url, "rl-victim") >= taken_before + 20

    await wait_for(victim_busy_with_the_stream, 60, "the victim to take jobs of the stream")
    victim.kill()
    killed_at = time.time()
    jobs = await stream

    await all_succeeded(launch.database_url, jobs, timeout_s=120)

    await assert_each_completed_once(launch.database_url, warm_up + jobs)
    finished_after_kill = await fetch(
        launch.database_url,
        "SELECT count(*) AS n FROM jobs WHERE finished_at > to_timestamp($1)",
        killed_at,
    )
    assert finished_after_kill[0]["n"] > 0, "the kill came after the stream had finished"


async def produce(bootstrap: str, topic: str, value: bytes, key: bytes) -> RecordMetadata:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        sent: RecordMetadata = await producer.send_and_wait(topic, value, key=key)
        return sent
    finally:
        await producer.stop()


async def read_dead_letters(bootstrap: str, count: int) -> list[dict[str, str]]:
    """Headers of the first `count` records of the dead letter topic, read without a group."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(DEAD_LETTER_TOPIC) or set()
        consumer.assign([TopicPartition(DEAD_LETTER_TOPIC, p) for p in partitions])
        records: list[dict[str, str]] = []
        while len(records) < count:
            batches = await asyncio.wait_for(consumer.getmany(timeout_ms=1000), 30)
            records += [
                {k: v.decode() for k, v in r.headers} | {"value": r.value.decode(errors="replace")}
                for batch in batches.values()
                for r in batch
            ]
        return records
    finally:
        await consumer.stop()


async def test_poison_messages_go_to_the_dead_letter_topic_and_the_next_one_is_processed(
    launch: Launcher, http: aiohttp.ClientSession
) -> None:
    url, *_ = await asyncio.gather(
        launch.api(), launch.worker("llm", "llm-1"), launch.worker("rl", "rl-1")
    )
    pool = await open_pool(launch.database_url, max_size=1)
    try:
        job_id = await JobStore(pool).create_job(
            JobKind.FORMULATION,
            FAST_BRIEF,
            FormulationOptions(),
            "poison-test",
            [],
            tenant=TENANT,
            job_id=uuid4(),
        )
    finally:
        await pool.close()
    topic, key = command_topic("llm"), str(job_id).encode()
    # One key: one partition, so the good command waits behind both poison messages.
    not_json = await produce(launch.bootstrap_servers, topic, b"{not json", key)
    not_a_command = await produce(
        launch.bootstrap_servers, topic, orjson.dumps({"job_id": "soon", "text": ""}), key
    )
    good = InterpretBrief(job_id=job_id, text=FAST_BRIEF)
    await produce(launch.bootstrap_servers, topic, good.model_dump_json().encode(), key)

    job = await Api(http, url).finished(job_id)

    assert job["status"] == "succeeded", job
    dead = await read_dead_letters(launch.bootstrap_servers, 2)
    by_offset = {int(d["dead_letter.offset"]): d for d in dead}
    assert set(by_offset) == {not_json.offset, not_a_command.offset}
    for sent, reason in ((not_json, "undecodable"), (not_a_command, "invalid message")):
        letter = by_offset[sent.offset]
        assert letter["dead_letter.topic"] == topic
        assert letter["dead_letter.partition"] == str(sent.partition)
        assert letter["dead_letter.reason"].startswith(reason), letter
    assert "job_id" in by_offset[not_a_command.offset]["dead_letter.reason"]
    assert by_offset[not_json.offset]["value"] == "{not json"


async def test_a_brief_posted_while_the_broker_is_paused_completes_after_it_resumes(
    launch: Launcher, http: aiohttp.ClientSession, private_broker: EmbeddedBroker
) -> None:
    url, *_ = await asyncio.gather(
        launch.api(), launch.worker("llm", "llm-1"), launch.worker("rl", "rl-1")
    )
    api = Api(http, url)
    await api.finished(await api.submit(FAST_BRIEF))

    private_broker.pause()
    try:
        started = time.monotonic()
        job_id = await api.submit(FAST_BRIEF)
        assert time.monotonic() - started < 2.0, "202 waited for the broker"
        async with http.get(f"{url}/ready") as reply:
            readiness = await reply.json()
        assert reply.status == 503, readiness
        assert readiness["dependencies"]["database"] == "ok"
        assert readiness["dependencies"]["broker"].startswith("unreachable"), readiness
    finally:
        private_broker.resume()

    job = await api.finished(job_id, timeout_s=120)
    assert job["status"] == "succeeded", job
    async with http.get(f"{url}/ready") as reply:
        assert reply.status == 200, await reply.text()


async def test_dev_drives_again_the_jobs_a_previous_run_left_unfinished(
    launch: Launcher, http: aiohttp.ClientSession
) -> None:
    """`fragrance-ai dev` on a kept database and a fresh embedded broker: the commands
    in flight died with the old broker, so each unfinished job is sent on again."""
    pool = await open_pool(launch.database_url, max_size=1)
    try:
        store = JobStore(pool)
        queued = await store.create_job(
            JobKind.FORMULATION, FAST_BRIEF, FormulationOptions(), tenant=TENANT
        )
        halfway = await store.create_job(
            JobKind.FORMULATION, FAST_BRIEF, FormulationOptions(), tenant=TENANT
        )
        brief = interpret(FAST_BRIEF).brief.model_dump(mode="json")
        assert await advance(store, halfway, JobStatus.INTERPRETING)
        assert await advance(store, halfway, JobStatus.OPTIMISING, brief=brief)
    finally:
        await pool.close()
    port = free_loopback_port()
    dev = launch.start("dev", ["dev", "--port", str(port)], KAFKA_BOOTSTRAP_SERVERS="")
    api = Api(http, f"http://127.0.0.1:{port}")

    async def answering() -> bool:
        assert dev.is_running(), dev.log_text()
        try:
            await api.job(queued)
        except aiohttp.ClientConnectionError:
            return False
        return True

    await wait_for(answering, 60, "fragrance-ai dev to answer")
    for job_id in (queued, halfway):
        job = await api.finished(job_id)
        assert job["status"] == "succeeded", job
    events = await fetch(
        launch.database_url, "SELECT type FROM job_events WHERE job_id = $1 ORDER BY seq", halfway
    )
    made_here = ["moved to interpreting", "moved to optimising"]
    assert [e["type"] for e in events] == [*made_here, "stage_started", "formula_optimized"]

    # Ctrl-C stops everything it started, the embedded broker included.
    broker_address = re.search(r"bootstrap_servers=(127\.0\.0\.1:\d+)", dev.log_text())
    assert broker_address, dev.log_text()
    dev.process.send_signal(signal.SIGINT)
    assert await asyncio.to_thread(dev.process.wait, 30) == 0, dev.log_text()
    host, port_text = broker_address[1].split(":")
    with pytest.raises(OSError):
        await asyncio.open_connection(host, int(port_text))


async def test_a_database_connection_lost_at_every_attempt_is_retried_a_bounded_number_of_times(
    private_broker: EmbeddedBroker, postgres_db_url: str
) -> None:
    """The server terminates each attempt's connection, as a restart does; asyncpg reports
    the connection gone (SQLSTATE class 08): a transient failure, tried `jobs.max_attempts`
    times, then dead-lettered with its origin."""
    settings = load_settings("testing")
    bootstrap = private_broker.bootstrap_servers
    await create_topics(bootstrap, topic_catalogue(settings))
    broker = make_broker(settings, bootstrap)
    router = KafkaRouter(middlewares=failure_policy(settings, broker, "interpreting"))
    attempts: list[int] = []

    @router.subscriber(
        command_topic("llm"), **subscriber_options(settings, "llm"),
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )  # fmt: skip
    async def on_interpret_brief(command: InterpretBrief) -> None:
        attempts.append(delivery_attempt())
        connection = await asyncpg.connect(postgres_db_url)
        try:
            await connection.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        finally:
            await connection.close()

    broker.include_router(router)
    job_id = uuid4()
    async with broker:
        await broker.start()
        sent = await produce(
            bootstrap, command_topic("llm"),
            InterpretBrief(job_id=job_id, text=FAST_BRIEF).model_dump_json().encode(),
            str(job_id).encode(),
        )  # fmt: skip
        [letter] = await read_dead_letters(bootstrap, 1)

    assert attempts == [1, 2, 3]
    assert letter["dead_letter.error"] == "ConnectionDoesNotExistError"
    assert letter["dead_letter.attempts"] == "3"
    assert letter["dead_letter.topic"] == command_topic("llm")
    assert (letter["dead_letter.partition"], letter["dead_letter.offset"]) == (
        str(sent.partition),
        str(sent.offset),
    )
