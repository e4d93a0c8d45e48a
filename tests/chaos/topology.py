"""The deployed shape as local processes: API replicas and workers on an embedded broker
and an embedded PostgreSQL of the run's own, each process restartable under its name.

The database is a server of its own, not the tests' shared one, because the run
restarts it; the broker is one of its own because the run pauses it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from fragrance_ai.embedded.broker import EmbeddedBroker, free_loopback_port
from fragrance_ai.embedded.postgres import EmbeddedPostgres
from fragrance_ai.store import migrate
from tests.integration.conftest import Launcher, Program, answers_health

# Settings every process of the run shares, and why they differ from the testing profile.
CHAOS_ENV = {
    # The interpreter's rules alone: three LLM workers each loading SmolLM2 would not fit
    # a 2-core machine beside everything else, and the model is not what is tested here.
    "FRAGRANCE_WORKERS__LLM__READER": "rule_based",
    # The deployed retry window (2 s doubling): the testing profile's 0.1 s gives up
    # before a PostgreSQL restart is over, and would dead-letter healthy commands.
    "FRAGRANCE_JOBS__RETRY_BACKOFF_S": "2.0",
    # A thousand jobs in flight at once are this run's point, not a tenant's abuse.
    "FRAGRANCE_API__QUOTAS__JOBS_IN_FLIGHT": "100000",
    # A job whose command went missing is sent on again within the run's time.
    "FRAGRANCE_SWEEPER__STALLED_AFTER_S": "60",
    # Log shipping would put seven processes' lines on the broker under test.
    "FRAGRANCE_LOG__SHIP": "false",
}


@dataclass
class Member:
    """One named process of the topology; `program` is its current incarnation."""

    name: str
    role: str
    """`api`, or the worker role."""
    port: int | None = None
    """An API keeps its port across restarts, so clients need not learn a new one."""
    program: Program | None = None
    generation: int = 0
    held: bool = False
    """Being restarted on purpose: the supervisor leaves it alone meanwhile."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def is_running(self) -> bool:
        return self.program is not None and self.program.is_running()


@dataclass
class Topology:
    launcher: Launcher
    broker: EmbeddedBroker
    postgres: EmbeddedPostgres
    database_url: str
    members: dict[str, Member] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def api_urls(self) -> list[str]:
        return [m.url for m in self.members.values() if m.role == "api"]

    def __iter__(self) -> Iterator[Member]:
        return iter(self.members.values())

    def spawn(self, member: Member) -> Program:
        """Start the member's next incarnation; its log file is its own."""
        member.generation += 1
        log_name = f"{member.name}.{member.generation}"
        if member.role == "api":
            args = ["api"]
            env = {"FRAGRANCE_API__PORT": str(member.port)}
        else:
            args = ["worker", member.role]
            env = {"FRAGRANCE_WORKERS__INSTANCE_ID": member.name}
        member.program = self.launcher.start(log_name, args, **self.env, **env)
        return member.program

    async def ready(self, member: Member) -> bool:
        """Answering /health (an API) or consuming (a worker)."""
        program = member.program
        if program is None or not program.is_running():
            return False
        if member.role != "api":
            return program.is_consuming()
        return await answers_health(member.url)

    async def wait_ready(self, member: Member, timeout_s: float) -> bool:
        """True once ready; False when it exited or `timeout_s` ran out first."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if await self.ready(member):
                return True
            if member.program is None or not member.program.is_running():
                return False
            await asyncio.sleep(0.2)
        return False

    async def start_all(self, timeout_s: float = 240) -> None:
        for member in self:
            self.spawn(member)
        results = await asyncio.gather(*(self.wait_ready(m, timeout_s) for m in self))
        late = [m.name for m, ok in zip(self, results, strict=True) if not ok]
        if late:
            raise AssertionError(f"not ready: {late}\n{self.launcher.dump_logs()}")

    def restart_postgres(self) -> None:
        """Fast shutdown, then start again on the same data: every connection drops."""
        self.postgres.stop()
        self.postgres.start()


async def open_topology(
    root: Path, *, apis: int, llm_workers: int, rl_workers: int, env: dict[str, str]
) -> Topology:
    """The embedded parts and the members' names; nothing of the members started yet."""
    postgres = EmbeddedPostgres(root / "postgres")
    await asyncio.to_thread(postgres.start)
    admin = await asyncpg.connect(postgres.url)
    try:
        await admin.execute("CREATE DATABASE chaos")
    finally:
        await admin.close()
    database_url = postgres.url_for("chaos")
    await migrate(database_url)
    broker = EmbeddedBroker()
    await broker.start()
    logs = root / "logs"
    logs.mkdir()
    launcher = Launcher(broker.bootstrap_servers, database_url, logs)
    topology = Topology(launcher, broker, postgres, database_url, env={**CHAOS_ENV, **env})
    names = (
        [(f"api-{i}", "api") for i in range(1, apis + 1)]
        + [(f"llm-{i}", "llm") for i in range(1, llm_workers + 1)]
        + [(f"rl-{i}", "rl") for i in range(1, rl_workers + 1)]
    )
    for name, role in names:
        port = free_loopback_port() if role == "api" else None
        topology.members[name] = Member(name, role, port)
    return topology


async def close_topology(topology: Topology) -> None:
    topology.launcher.stop_all()
    await asyncio.to_thread(topology.broker.stop)
    await asyncio.to_thread(topology.postgres.stop)
