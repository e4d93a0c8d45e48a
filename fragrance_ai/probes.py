"""The probes orchestrators ask every process, the API and the workers alike.

`/health` says the event loop answers; `/ready` names each dependency (the database,
the broker) and whether it answers within a deadline. The checks run concurrently.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from faststream.kafka import KafkaBroker

from fragrance_ai.store import JobStore
from schemas.http import Health
from schemas.http import Readiness as ReadinessAnswer

Check = Callable[[], Awaitable[object]]
BROKER_PING_S = 1.5


@dataclass
class Readiness:
    timeout_s: float = 2.0
    checks: dict[str, Check] = field(default_factory=dict)

    def add(self, name: str, check: Check) -> None:
        self.checks[name] = check

    async def report(self) -> dict[str, str]:
        """'ok' or the reason, per dependency."""
        names = list(self.checks)
        results = await asyncio.gather(*(self._run(self.checks[n]) for n in names))
        return dict(zip(names, results, strict=True))

    async def _run(self, check: Check) -> str:
        try:
            await asyncio.wait_for(check(), self.timeout_s)
        except TimeoutError:
            return f"unreachable: no answer within {self.timeout_s:g}s"
        except Exception as exc:
            return f"unreachable: {exc.__class__.__name__}: {exc}".rstrip(": ")
        return "ok"


READINESS: web.AppKey[Readiness] = web.AppKey("readiness")


def database_check(store: JobStore) -> Check:
    async def check() -> None:
        if not await store.ping():
            raise ConnectionError("the database does not answer")

    return check


def broker_check(broker: KafkaBroker, bootstrap_servers: str) -> Check:
    async def check() -> None:
        if not await broker.ping(BROKER_PING_S):
            raise ConnectionError(f"no answer from {bootstrap_servers}")

    return check


async def health(request: web.Request) -> web.Response:
    return web.Response(body=Health().model_dump_json(), content_type="application/json")


async def ready(request: web.Request) -> web.Response:
    report = await request.app[READINESS].report()
    healthy = all(state == "ok" for state in report.values())
    answer = ReadinessAnswer(status="ready" if healthy else "not ready", dependencies=report)
    return web.Response(
        body=answer.model_dump_json(),
        status=200 if healthy else 503,
        content_type="application/json",
    )
