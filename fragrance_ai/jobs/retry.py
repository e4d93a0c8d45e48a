"""Bounded retries with exponential backoff and jitter for transient failures of a job's stage."""

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import structlog

T = TypeVar("T")
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    """Attempts in all, the first included."""
    backoff_s: float = 0.5
    """Wait before the second attempt; doubled before each further one."""
    backoff_max_s: float = 30.0
    """The longest wait between two attempts."""

    def delay_s(self, failed: int, draw: Callable[[], float] = random.random) -> float:
        """The wait after `failed` attempts: the doubled step, capped, of which half is
        drawn at random, so workers that failed together do not all retry together."""
        step = min(self.backoff_max_s, self.backoff_s * 2 ** (failed - 1))
        return step / 2 + draw() * step / 2


class RetriesExhaustedError(RuntimeError):
    def __init__(self, attempts: int, last: BaseException) -> None:
        super().__init__(f"gave up after {attempts} attempt(s): {type(last).__name__}: {last}")
        self.attempts = attempts

    @property
    def reason(self) -> str:
        """What a user is told: it failed, and trying later may work; not why."""
        return f"gave up after {self.attempts} attempt(s) on an internal error; try again later"


async def with_retries(
    attempt: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    permanent: tuple[type[BaseException], ...] = (),
) -> T:
    """Run `attempt` until it succeeds; errors in `permanent` are raised at once, others
    are retried up to the policy's bound and then raised as RetriesExhaustedError."""
    for number in range(1, policy.max_attempts + 1):
        try:
            return await attempt()
        except permanent:
            raise
        except Exception as exc:
            if number == policy.max_attempts:
                raise RetriesExhaustedError(number, exc) from exc
            delay = policy.delay_s(number)
            log.warning("attempt failed, retrying", attempt=number, delay_s=delay, error=str(exc))
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")
