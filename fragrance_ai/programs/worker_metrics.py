"""A worker's own small HTTP server: `/metrics`, `/health` and `/ready`.

Orchestrators probe these instead of looking for the process: `/health` says the
event loop answers, `/ready` names each dependency (the broker) and whether it answers.
"""

from types import TracebackType
from typing import Self

from aiohttp import web
from dynaconf import Dynaconf

from fragrance_ai.metrics.exposition import metrics_view
from fragrance_ai.probes import READINESS, Readiness, health, ready
from fragrance_ai.programs.ports import start_site


def metrics_port(settings: Dynaconf, role: str) -> int:
    """The port of `role`'s server: the RL worker's for policy training too; 0, any free."""
    metrics = settings.metrics
    return int(metrics.rl_port if role in ("rl", "training") else metrics.llm_port)


def metrics_app(readiness: Readiness) -> web.Application:
    app = web.Application()
    app[READINESS] = readiness
    app.router.add_routes(
        [
            web.get("/metrics", metrics_view),
            web.get("/health", health),
            web.get("/ready", ready),
        ]
    )
    return app


class MetricsServer:
    """`async with MetricsServer(readiness, host, port):` serves until the block ends."""

    def __init__(self, readiness: Readiness, host: str, port: int) -> None:
        self._runner = web.AppRunner(metrics_app(readiness), access_log=None)
        self._host = host
        self._port = port
        self.port = port

    async def __aenter__(self) -> Self:
        await self._runner.setup()
        try:
            await start_site(self._runner, self._host, self._port, "worker metrics")
        except BaseException:
            await self._runner.cleanup()
            raise
        self.port = self._bound_port()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        await self._runner.cleanup()

    def _bound_port(self) -> int:
        """The port actually bound; differs from the setting when that is 0 (any free one)."""
        for address in self._runner.addresses:
            return int(address[1])
        return self._port
