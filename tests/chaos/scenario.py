"""One chaos run: start the topology, send the load, throw the faults while it works,
let it drain, judge it, and say what happened in counts."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.chaos.faults import FaultCounts, FaultInjector
from tests.chaos.invariants import LeaseWatch, Verdict, judge, wait_drained
from tests.chaos.load import Client, inject_poison
from tests.chaos.topology import close_topology, open_topology
from tests.integration.conftest import FAST_BRIEF, create_key


@dataclass(frozen=True)
class ChaosPlan:
    jobs: int = 1000
    training_runs: int = 3
    training_timesteps: int = 16_384
    """With 64 environments, 1,024 steps an iteration: 16 iterations, a checkpoint each."""
    load_s: float = 120.0
    """The jobs are sent evenly over this long, while the faults go on."""
    kill_every_s: float = 4.0
    broker_pause_s: float = 30.0
    postgres_restarts: int = 1
    rolling_restart: bool = True
    poison_per_topic: int = 2
    drain_s: float = 300.0
    """How long the system may take to finish everything once the faults stop."""
    seed: int = 16
    apis: int = 2
    llm_workers: int = 3
    rl_workers: int = 2


@dataclass
class ChaosReport:
    plan: ChaosPlan
    faults: FaultCounts
    verdict: Verdict
    retries: int
    replays: int
    wall_s: float
    logs: str = ""
    timeline: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        f = self.faults
        counts = {
            **self.verdict.counts,
            "kills (SIGKILL)": f.kills,
            "respawns": f.respawns,
            "broker pauses (SIGSTOP)": f.broker_pauses,
            "postgres restarts": f.postgres_restarts,
            "rolling restarts (SIGTERM)": f.rolling_restarts,
            "exits not caused by a fault": len(f.exits),
            "unclean SIGTERM stops": len(f.unclean_stops),
            "requests sent again": self.retries,
            "answers replayed by Idempotency-Key": self.replays,
            "wall s": round(self.wall_s),
        }
        width = max(len(k) for k in counts)
        out = [f"{k:<{width}}  {v}" for k, v in counts.items()]
        out += self.verdict.notes
        out += [f"exited by itself: {s}" for s in f.exits]
        out += [f"unclean stop: {s}" for s in f.unclean_stops]
        out += [f"VIOLATION {v}" for v in self.verdict.violations] or ["every invariant held"]
        return out


async def faults(injector: FaultInjector, plan: ChaosPlan, timeline: list[str]) -> None:
    """Kills throughout; between them, in turn: the broker paused, PostgreSQL restarted,
    every process restarted by SIGTERM; then kills alone until the load is all sent."""
    started = time.monotonic()

    def mark(what: str) -> None:
        timeline.append(f"{time.monotonic() - started:7.1f}s {what}")

    killing = asyncio.create_task(injector.kill_randomly(plan.kill_every_s))
    try:
        await asyncio.sleep(plan.load_s * 0.1)
        if plan.broker_pause_s > 0:
            mark(f"broker paused for {plan.broker_pause_s:g}s")
            await injector.pause_broker(plan.broker_pause_s)
            mark("broker resumed")
        for _ in range(plan.postgres_restarts):
            await asyncio.sleep(5)
            mark("postgres restarting")
            await injector.restart_postgres()
            mark("postgres restarted")
        if plan.rolling_restart:
            await asyncio.sleep(5)
            mark("rolling restart begins")
            await injector.rolling_restart()
            mark("rolling restart done")
        await asyncio.sleep(max(0.0, plan.load_s - (time.monotonic() - started)))
    finally:
        killing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await killing
        mark("faults stopped")


async def run_chaos(plan: ChaosPlan, root: Path) -> ChaosReport:
    began = time.monotonic()
    topology = await open_topology(
        root,
        apis=plan.apis,
        llm_workers=plan.llm_workers,
        rl_workers=plan.rl_workers,
        env={"CHECKPOINT_DIR": str(root / "checkpoints"), "TENSORBOARD_DIR": str(root / "runs")},
    )
    injector = FaultInjector(topology, random.Random(plan.seed))
    leases = LeaseWatch(topology.database_url)
    background: list[asyncio.Task[None]] = []
    timeline: list[str] = []
    try:
        await topology.start_all()
        client = Client(topology.api_urls, await create_key(topology.database_url, "chaos"))
        poison = await inject_poison(topology.broker.bootstrap_servers, plan.poison_per_topic)
        background = [
            asyncio.create_task(injector.supervise()),
            asyncio.create_task(leases.run()),
        ]
        training = {"total_timesteps": plan.training_timesteps, "num_envs": 64,
                    "checkpoint_every": 1}  # fmt: skip
        await asyncio.gather(
            client.start_training(plan.training_runs, training),
            client.submit_jobs(plan.jobs, plan.load_s, FAST_BRIEF),
            faults(injector, plan, timeline),
        )
        drain = await wait_drained(
            topology.database_url, topology.broker.bootstrap_servers, plan.drain_s
        )
        timeline.append(f"drained: {drain}")
        verdict = await judge(
            topology.database_url,
            topology.broker.bootstrap_servers,
            client.accepted,
            poison,
            leases,
            drain,
        )
        logs = topology.launcher.dump_logs() if verdict.violations else ""
        return ChaosReport(
            plan, injector.counts, verdict, client.accepted.retries, client.accepted.replays,
            time.monotonic() - began, logs, timeline,
        )  # fmt: skip
    finally:
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        await close_topology(topology)
