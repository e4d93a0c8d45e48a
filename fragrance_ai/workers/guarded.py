"""What every stage does around its own work: retries, cancellation, failures told.

A stage says only what is its own (the attempt, the errors that no retry can mend, and
the event its result makes); this runs it the same way for all of them. Work stops as
soon as its job is cancelled: cancelling the work's task is what drops a brief from the
LLM's pending batch; work already running in a thread finishes there, and its result is
thrown away.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar
from uuid import UUID

from fragrance_ai.jobs.retry import RetriesExhaustedError, RetryPolicy, with_retries
from fragrance_ai.store import JOB_ENDED_CHANNEL, JobStore, Notifier
from schemas.jobs import JobStatus
from schemas.messages import JobFailed, Message, Stage

T = TypeVar("T")
E = TypeVar("E", bound=Message)


@dataclass
class CancellationGuard:
    store: JobStore
    notifier: Notifier
    """Listening on JOB_ENDED_CHANNEL: a job's end is what can make its work moot."""
    poll_s: float = 5.0
    """NOTIFY is a hint: without one, look at the job again after this long."""

    async def cancelled(self, job_id: UUID) -> bool:
        return (await self.store.get_job(job_id)).status is JobStatus.CANCELLED

    async def run(self, job_id: UUID, work: Awaitable[T]) -> T | None:
        """`work`'s result, or None when the job is, or becomes, cancelled first."""
        async with self.notifier.watch(JOB_ENDED_CHANNEL, str(job_id)) as wake:
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


async def run_guarded(
    job_id: UUID,
    stage: Stage,
    attempt: Callable[[], Awaitable[T]],
    result_event: Callable[[T, float], E],
    *,
    retry: RetryPolicy,
    guard: CancellationGuard | None,
    permanent: tuple[type[Exception], ...],
) -> E | JobFailed | None:
    """`result_event` of the attempt's result and its duration in seconds; JobFailed
    when the attempt fails for good (with the message of an error in `permanent`, or a
    terse reason once retries run out); None when the job is cancelled first."""
    started = time.perf_counter()
    work = with_retries(attempt, retry, permanent=permanent)
    try:
        result = await (guard.run(job_id, work) if guard else work)
    except permanent as exc:
        return JobFailed(job_id=job_id, stage=stage, reason=str(exc))
    except RetriesExhaustedError as exc:
        return JobFailed(job_id=job_id, stage=stage, reason=exc.reason, detail=str(exc))
    if result is None:
        return None
    return result_event(result, round(time.perf_counter() - started, 4))
