"""Work for a job that stops as soon as the job is cancelled.

Cancelling the work's task is what drops a brief from the LLM's pending batch; work
already running in a thread finishes there, and its result is thrown away.
"""

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar
from uuid import UUID

from fragrance_ai.store import JOB_EVENTS_CHANNEL, JobStore, Notifier
from schemas.jobs import JobStatus

T = TypeVar("T")


@dataclass
class CancellationGuard:
    store: JobStore
    notifier: Notifier
    poll_s: float = 5.0
    """NOTIFY is a hint: without one, look at the job again after this long."""

    async def cancelled(self, job_id: UUID) -> bool:
        return (await self.store.get_job(job_id)).status is JobStatus.CANCELLED

    async def run(self, job_id: UUID, work: Awaitable[T]) -> T | None:
        """`work`'s result, or None when the job is, or becomes, cancelled first."""
        async with self.notifier.watch(JOB_EVENTS_CHANNEL, str(job_id)) as wake:
            task = asyncio.ensure_future(work)
            try:
                if await self.cancelled(job_id):
                    return None
                while True:
                    waiter = asyncio.ensure_future(wake.wait(self.poll_s))
                    done, _ = await asyncio.wait(
                        {task, waiter}, return_when=asyncio.FIRST_COMPLETED
                    )
                    waiter.cancel()
                    if task in done:
                        return task.result()
                    if await self.cancelled(job_id):
                        return None
            finally:
                task.cancel()
