"""The sweeper: stalled jobs sent on again or failed, and old rows purged.

It runs in every API process, so every deployment has one, but sweeps in one replica at
a time: each round starts by taking, or keeping, a lease in PostgreSQL; a replica that
dies stops renewing it and another takes over once it lapses.

A formulation job that has not moved for `stalled_after_s` lost its command somewhere (a
broker that kept nothing, a dead-lettered event): its next command is written to the
outbox again, which is harmless if it was only slow, since stages are idempotent by
job_id. A job already out of attempts, or re-driven `max_redrives` times to no effect,
fails instead, with the reason.

`redrive_unfinished` drives every unfinished job at once, without waiting for it to
stall: `fragrance-ai dev` calls it after a restart on a broker that kept nothing.
"""

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Protocol

import structlog
from dynaconf import Dynaconf

from fragrance_ai.jobs.routing import outbox_message, resume_dispatch
from fragrance_ai.jobs.service import EventRecorder
from fragrance_ai.store import JobStore
from fragrance_ai.store.sweeping import StalledJob
from schemas.jobs import JobStatus
from schemas.messages import INTERPRETING, OPTIMISING, JobFailed, Stage

log = structlog.get_logger(__name__)
LEASE = "sweeper"


@dataclass(frozen=True)
class SweepPolicy:
    every_s: float = 30.0
    """Time between two rounds."""
    stalled_after_s: float = 300.0
    """A job that has not moved for this long is stalled."""
    max_redrives: int = 3
    """Re-drives of one job before a stall fails it."""
    max_attempts: int = 3
    """A stalled job with this many attempts already fails instead of being re-driven."""
    outbox_retention_s: float = 86400.0
    """Sent or failed outbox rows are deleted this long after; 0 keeps them."""
    events_retention_s: float = 0.0
    """Events of a finished job are deleted this long after it finished; 0 keeps them."""


def sweep_policy(settings: Dynaconf) -> SweepPolicy:
    sweeper = settings.sweeper
    return SweepPolicy(
        every_s=float(sweeper.every_s),
        stalled_after_s=float(sweeper.stalled_after_s),
        max_redrives=int(sweeper.max_redrives),
        max_attempts=int(settings.jobs.max_attempts),
        outbox_retention_s=float(sweeper.outbox_retention_s),
        events_retention_s=float(sweeper.events_retention_s),
    )


@dataclass(frozen=True)
class SweepReport:
    redriven: int = 0
    failed: int = 0


def give_up_reason(stalled: StalledJob, policy: SweepPolicy) -> str | None:
    """Why a stalled job fails now rather than being sent on again; None to send it on."""
    job = stalled.job
    if job.attempts >= policy.max_attempts:
        return f"made no progress after {job.attempts} attempts; try again later"
    if stalled.redrives >= policy.max_redrives:
        return f"made no progress after being sent on again {stalled.redrives} times"
    return None


def stage_of(status: JobStatus) -> Stage:
    return OPTIMISING if status is JobStatus.OPTIMISING else INTERPRETING


class SweepCounts(Protocol):
    """Where a sweeper counts what it did (the API passes Prometheus' counters)."""

    def redriven(self) -> None: ...

    def failed(self) -> None: ...

    def purged(self, table: str, rows: int) -> None: ...


class Uncounted:
    def redriven(self) -> None:
        pass

    def failed(self) -> None:
        pass

    def purged(self, table: str, rows: int) -> None:
        pass


@dataclass
class Sweeper:
    store: JobStore
    owner: str
    """This process's name on the lease."""
    policy: SweepPolicy
    counts: SweepCounts = field(default_factory=Uncounted)
    _task: asyncio.Task[None] | None = None

    async def sweep_once(self) -> SweepReport | None:
        """One round, or None when another replica holds the lease."""
        lease_s = 3 * self.policy.every_s
        if not await self.store.acquire_lease(LEASE, self.owner, lease_s):
            return None
        report = await self.sweep_stalled()
        await self.purge()
        return report

    async def sweep_stalled(self) -> SweepReport:
        redriven = failed = 0
        recorder = EventRecorder(self.store)
        for stalled in await self.store.stalled_jobs(self.policy.stalled_after_s):
            job = stalled.job
            idle = f"idle for over {self.policy.stalled_after_s:g} s"
            if (reason := give_up_reason(stalled, self.policy)) is not None:
                event = JobFailed(
                    job_id=job.id,
                    stage=stage_of(job.status),
                    reason=f"the job {reason}",
                    detail=f"swept: {idle} in status {job.status.value}",
                )
                if await recorder.record(event):
                    failed += 1
                    self.counts.failed()
                continue
            message = outbox_message(resume_dispatch(job), job.correlation_id)
            if await self.store.redrive(job.id, [message]):
                redriven += 1
                self.counts.redriven()
        if redriven or failed:
            log.info("stalled jobs swept", redriven=redriven, failed=failed)
        return SweepReport(redriven, failed)

    async def purge(self) -> None:
        purged = {
            "llm_cache": await self.store.cache_purge_expired(),
            "idempotency_keys": await self.store.purge_idempotency_keys(),
        }
        if self.policy.outbox_retention_s > 0:
            purged["outbox"] = await self.store.purge_outbox(self.policy.outbox_retention_s)
        if self.policy.events_retention_s > 0:
            purged["job_events"] = await self.store.purge_events(self.policy.events_retention_s)
        for table, count in purged.items():
            self.counts.purged(table, count)
        if any(purged.values()):
            log.info("old rows purged", **purged)

    async def run(self) -> None:
        while True:
            try:
                await self.sweep_once()
            except Exception as exc:
                # A database outage must not end the sweeper: the next round tries again.
                log.warning("sweep failed", error=f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(self.policy.every_s)

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="sweeper")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            # Handed on at once, so another replica need not wait for the lease to lapse.
            await self.store.release_lease(LEASE, self.owner)


async def redrive_unfinished(store: JobStore) -> int:
    """Queue the next command of each unfinished job; the number queued."""
    jobs = await store.unfinished_jobs()
    for job in jobs:
        await store.add_outbox([outbox_message(resume_dispatch(job), job.correlation_id)])
    if jobs:
        log.info("unfinished jobs driven again", count=len(jobs))
    return len(jobs)
