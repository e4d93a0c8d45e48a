"""Readiness: each dependency checked by name, concurrently, with a deadline."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

Check = Callable[[], Awaitable[object]]


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
