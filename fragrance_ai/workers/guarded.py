"""What every stage does around its own work: retries, cancellation, failures told.

A stage says only what is its own (the attempt, the errors that no retry can mend, and
the event its result makes); this runs it the same way for all of them.
"""

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar
from uuid import UUID

from fragrance_ai.jobs.retry import RetriesExhaustedError, RetryPolicy, with_retries
from fragrance_ai.workers.cancellation import CancellationGuard
from schemas.messages import JobFailed, Message, Stage

T = TypeVar("T")
E = TypeVar("E", bound=Message)


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
