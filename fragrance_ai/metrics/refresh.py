"""A value refreshed every few seconds in the background, off the scrape path."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)


class PeriodicRefresh:
    """Calls `refresh` every `interval_s` until stopped; a failed refresh is logged and
    retried at the next tick, so a broker or database outage never ends the loop."""

    def __init__(
        self, name: str, refresh: Callable[[], Awaitable[None]], interval_s: float
    ) -> None:
        self.name = name
        self._refresh = refresh
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"refresh {self.name}")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._refresh(), self._interval_s)
            except Exception as exc:
                log.warning("metrics refresh failed", metric=self.name, error=repr(exc))
            await asyncio.sleep(self._interval_s)
