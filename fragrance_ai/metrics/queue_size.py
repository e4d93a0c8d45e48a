"""`queue_size{group,topic}`: a worker role's consumer lag, refreshed in the background."""

from collections.abc import Mapping
from typing import Any

from prometheus_client import Gauge

from fragrance_ai.metrics.lag import LagReader, totals
from fragrance_ai.metrics.refresh import PeriodicRefresh

QUEUE_SIZE = Gauge(
    "queue_size",
    "Records waiting for a consumer group: end offsets minus committed offsets, summed over partitions",
    ["group", "topic"],
)


class QueueSizeMonitor:
    """Keeps `queue_size` current for `(group, topic)` pairs; `async with` starts it."""

    def __init__(
        self,
        bootstrap_servers: str,
        watched: list[tuple[str, str]],
        interval_s: float,
        security: Mapping[str, Any] | None = None,
    ) -> None:
        self._reader = LagReader(bootstrap_servers, security=security)
        self._watched = watched
        self._refresher = PeriodicRefresh("queue_size", self.refresh, interval_s)

    async def refresh(self) -> None:
        for group, topic in self._watched:
            rows = await self._reader.read(groups=[group], topics=[topic])
            QUEUE_SIZE.labels(group, topic).set(totals(rows).get((group, topic), 0))

    async def __aenter__(self) -> "QueueSizeMonitor":
        await self._reader.__aenter__()
        self._refresher.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._refresher.stop()
        await self._reader.__aexit__(None, None, None)
