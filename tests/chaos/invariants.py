"""What must hold once the run has drained, read from PostgreSQL and the broker, and the
lease watch that samples training leases while the run goes on.

Each check adds a line to `Verdict.violations` rather than failing at the first, so one
run says everything it broke.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any
from uuid import UUID

import asyncpg
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from brokers.topics import DEAD_LETTER_TOPIC
from fragrance_ai.metrics.lag import LagReader
from tests.chaos.load import Accepted, Poison

# The events that end a job, and the status each leaves it in.
FINAL_EVENTS = {
    "formula_optimized": "succeeded",
    "policy_trained": "succeeded",
    "job_failed": "failed",
    "job_cancelled": "cancelled",
}


@dataclass(frozen=True)
class LeaseSample:
    owner: str
    expires_at: datetime
    seen_at: datetime
    """The database's clock when the row was read."""


@dataclass
class LeaseWatch:
    """Samples every training lease a few times a second: who held it, and until when."""

    database_url: str
    every_s: float = 0.2
    samples: dict[str, list[LeaseSample]] = field(default_factory=lambda: defaultdict(list))
    failed_reads: int = 0
    """Samples lost to the database being down."""

    async def run(self) -> None:
        conn: asyncpg.Connection | None = None
        while True:
            try:
                if conn is None or conn.is_closed():
                    conn = await asyncpg.connect(self.database_url, timeout=2)
                rows = await conn.fetch(
                    "SELECT name, owner, expires_at, clock_timestamp() AS now FROM leases"
                    " WHERE name LIKE 'training:%'"
                )
                for row in rows:
                    sample = LeaseSample(row["owner"], row["expires_at"], row["now"])
                    self.samples[row["name"]].append(sample)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
                self.failed_reads += 1
                conn = None
            await asyncio.sleep(self.every_s)

    def holders(self, job_id: UUID) -> list[str]:
        """The run's lease holders in the order seen, repeats folded."""
        seen: list[str] = []
        for sample in self.samples.get(f"training:{job_id}", []):
            if not seen or seen[-1] != sample.owner:
                seen.append(sample.owner)
        return seen


@dataclass
class Drain:
    unfinished: int
    outbox_unsent: int
    lag: dict[str, int]

    @property
    def done(self) -> bool:
        return self.unfinished == 0 and self.outbox_unsent == 0 and not any(self.lag.values())


async def drain_state(database_url: str, bootstrap: str) -> Drain:
    conn = await asyncpg.connect(database_url)
    try:
        unfinished = await conn.fetchval(
            "SELECT count(*) FROM jobs WHERE status IN ('queued', 'interpreting', 'optimising')"
        )
        unsent = await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"
        )
    finally:
        await conn.close()
    lag: Counter[str] = Counter()
    async with LagReader(bootstrap) as reader:
        for row in await reader.read():
            lag[row.group] += row.lag
    return Drain(int(unfinished), int(unsent), dict(lag))


async def wait_drained(database_url: str, bootstrap: str, timeout_s: float) -> Drain:
    """Poll until every job is finished, the outbox empty and every group caught up;
    the last state seen, drained or not."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            state = await drain_state(database_url, bootstrap)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            state = None
        if state is not None and (state.done or time.monotonic() > deadline):
            return state
        if state is None and time.monotonic() > deadline:
            return Drain(-1, -1, {})
        await asyncio.sleep(1.0)


async def dead_letters(bootstrap: str) -> list[dict[str, str]]:
    """Every record of the dead letter topic: its headers, read without a group."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        partitions = [
            TopicPartition(DEAD_LETTER_TOPIC, p)
            for p in consumer.partitions_for_topic(DEAD_LETTER_TOPIC) or ()
        ]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        letters: list[dict[str, str]] = []
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            batches = await asyncio.wait_for(consumer.getmany(timeout_ms=1000), 30)
            letters += [
                {k: v.decode(errors="replace") for k, v in record.headers}
                for batch in batches.values()
                for record in batch
            ]
        return letters
    finally:
        await consumer.stop()


@dataclass
class Verdict:
    counts: dict[str, int] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What is worth knowing and breaks no invariant."""

    def fail(self, what: str, items: list[Any]) -> None:
        if items:
            self.violations.append(f"{what}: {len(items)}, e.g. {items[:5]}")


async def judge(
    database_url: str,
    bootstrap: str,
    accepted: Accepted,
    poison: list[Poison],
    leases: LeaseWatch,
    drain: Drain,
) -> Verdict:
    verdict = Verdict()
    conn = await asyncpg.connect(database_url)
    try:
        jobs = {r["id"]: r for r in await conn.fetch("SELECT id, kind, status FROM jobs")}
        finals = await conn.fetch(
            "SELECT job_id, type FROM job_events WHERE type = ANY($1::text[])",
            list(FINAL_EVENTS),
        )
        gaps = await conn.fetch(
            "SELECT j.id, j.last_event_seq, coalesce(e.n, 0) AS n, coalesce(e.top, 0) AS top"
            " FROM jobs j LEFT JOIN (SELECT job_id, count(*) AS n, max(seq) AS top"
            " FROM job_events GROUP BY job_id) e ON e.job_id = j.id"
            " WHERE coalesce(e.n, 0) <> j.last_event_seq OR coalesce(e.top, 0) <> j.last_event_seq"
        )
        set_aside = await conn.fetch(
            "SELECT id, topic, error FROM outbox WHERE failed_at IS NOT NULL"
        )
        progress = await conn.fetch(
            "SELECT job_id, seq, payload FROM job_events WHERE type = 'training_progressed'"
            " ORDER BY job_id, seq"
        )
        trainers = await conn.fetch(
            "SELECT job_id, payload->>'worker' AS worker FROM job_events"
            " WHERE type = 'stage_started' AND job_id = ANY($1::uuid[])",
            accepted.training_runs,
        )
        failures = await conn.fetch(
            "SELECT error, count(*) AS n FROM jobs WHERE status = 'failed' GROUP BY error"
        )
    finally:
        await conn.close()

    everything = accepted.jobs + accepted.training_runs
    statuses = Counter(jobs[j]["status"] for j in everything if j in jobs)
    verdict.counts |= {
        "jobs accepted": len(accepted.jobs),
        "training runs accepted": len(accepted.training_runs),
        "jobs stored": len(jobs),
        **{f"ended {status}": n for status, n in sorted(statuses.items())},
    }
    lost = [
        j for j in everything if j not in jobs or jobs[j]["status"] not in FINAL_EVENTS.values()
    ]
    unfinished = [j for j, r in jobs.items() if r["status"] not in FINAL_EVENTS.values()]
    verdict.counts["lost"] = len(lost)
    verdict.fail("accepted jobs that never finished", lost)
    verdict.fail("stored jobs that never finished", unfinished)
    # Failing is a way to end: a job may give up under faults (out of attempts, say).
    verdict.notes += [f"failed {r['n']}x: {r['error']}" for r in failures]

    per_job: dict[UUID, list[str]] = defaultdict(list)
    for row in finals:
        per_job[row["job_id"]].append(row["type"])
    duplicated = [(j, t) for j, t in per_job.items() if len(t) > 1]
    verdict.counts["duplicated"] = len(duplicated)
    verdict.fail("jobs with more than one final event", duplicated)
    verdict.fail(
        "finished jobs without a final event",
        [j for j, r in jobs.items() if r["status"] in FINAL_EVENTS.values() and j not in per_job],
    )
    verdict.fail(
        "final events that do not match the job's status",
        [
            (j, t[0], jobs[j]["status"])
            for j, t in per_job.items()
            if len(t) == 1 and FINAL_EVENTS[t[0]] != jobs[j]["status"]
        ],
    )
    verdict.fail("jobs whose events are not numbered 1..n", [dict(r) for r in gaps])

    verdict.counts["outbox unsent"] = drain.outbox_unsent
    verdict.counts["outbox set aside"] = len(set_aside)
    verdict.fail("outbox rows left unsent", [drain.outbox_unsent] if drain.outbox_unsent else [])
    verdict.fail("outbox rows set aside", [dict(r) for r in set_aside])
    verdict.counts["group lag"] = sum(drain.lag.values())
    verdict.fail("consumer groups with lag", [(g, n) for g, n in drain.lag.items() if n])

    letters = await dead_letters(bootstrap)
    origins = {
        Poison(
            d["dead_letter.topic"], int(d["dead_letter.partition"]), int(d["dead_letter.offset"])
        )
        for d in letters
    }
    verdict.counts["poison injected"] = len(poison)
    verdict.counts["dead letters"] = len(letters)
    verdict.fail(
        "dead letters that are not injected poison",
        [
            (d["dead_letter.topic"], d["dead_letter.reason"][:160])
            for d in letters
            if Poison(
                d["dead_letter.topic"],
                int(d["dead_letter.partition"]),
                int(d["dead_letter.offset"]),
            )
            not in set(poison)
        ],
    )
    verdict.fail(
        "poison missing from the dead letter topic", sorted(set(poison) - origins, key=str)
    )
    verdict.fail(
        "poison dead-lettered more than once",
        [o for o, n in Counter(
            Poison(d["dead_letter.topic"], int(d["dead_letter.partition"]), int(d["dead_letter.offset"]))
            for d in letters
        ).items() if n > 1],
    )  # fmt: skip

    steps: dict[UUID, list[int]] = defaultdict(list)
    for row in progress:
        steps[row["job_id"]].append(orjson.loads(row["payload"])["progress"]["global_step"])
    verdict.fail(
        "training runs whose steps went back",
        [(j, s) for j, s in steps.items() if any(b <= a for a, b in pairwise(s))],
    )
    announced: dict[UUID, set[str]] = defaultdict(set)
    for row in trainers:
        announced[row["job_id"]].add(row["worker"])
    takeovers = 0
    for run in accepted.training_runs:
        holders = leases.holders(run)
        takeovers += max(0, len(holders) - 1)
        verdict.fail(f"run {run}: lease holders that never announced the run",
                     [h for h in holders if h not in announced[run]])  # fmt: skip
    verdict.counts["training lease takeovers"] = takeovers
    verdict.counts["lease samples"] = sum(len(s) for s in leases.samples.values())
    return verdict
