"""Faults thrown at a running topology, counted: SIGKILL of a random process, the broker
stopped with SIGSTOP, PostgreSQL restarted, and every process restarted in turn with
SIGTERM. A supervisor starts again whatever died, as an orchestrator would."""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
from dataclasses import dataclass, field

from tests.chaos.topology import Member, Topology

# A worker with training in flight gets training.drain_s (25 s) to checkpoint.
SIGTERM_EXIT_S = 60.0
READY_S = 180.0


@dataclass
class FaultCounts:
    kills: int = 0
    """SIGKILLs sent."""
    respawns: int = 0
    """Processes the supervisor started again after they died."""
    broker_pauses: int = 0
    postgres_restarts: int = 0
    rolling_restarts: int = 0
    """Processes stopped with SIGTERM and started again, one at a time."""
    exits: list[str] = field(default_factory=list)
    """Processes that died of something other than the injector's SIGKILL, and how."""
    unclean_stops: list[str] = field(default_factory=list)
    """Processes that did not exit with status 0 within SIGTERM_EXIT_S of a SIGTERM."""


@dataclass
class FaultInjector:
    topology: Topology
    rng: random.Random
    counts: FaultCounts = field(default_factory=FaultCounts)

    async def supervise(self, every_s: float = 0.5) -> None:
        """Start again any member that died and is not being restarted on purpose."""
        while True:
            for member in self.topology:
                if not member.held and not member.is_running():
                    if (
                        member.program is not None
                        and member.program.process.returncode != -signal.SIGKILL
                    ):
                        status = member.program.process.returncode
                        self.counts.exits.append(f"{member.program.name}: exit status {status}")
                    self.topology.spawn(member)
                    self.counts.respawns += 1
            await asyncio.sleep(every_s)

    async def kill_randomly(self, every_s: float) -> None:
        """SIGKILL a random running member every `every_s` seconds, give or take half."""
        while True:
            await asyncio.sleep(every_s * self.rng.uniform(0.5, 1.5))
            running = [m for m in self.topology if m.is_running() and not m.held]
            if running:
                victim = self.rng.choice(running)
                assert victim.program is not None
                await asyncio.to_thread(victim.program.kill)
                self.counts.kills += 1

    async def pause_broker(self, seconds: float) -> None:
        self.topology.broker.pause()
        self.counts.broker_pauses += 1
        try:
            await asyncio.sleep(seconds)
        finally:
            self.topology.broker.resume()

    async def restart_postgres(self) -> None:
        await asyncio.to_thread(self.topology.restart_postgres)
        self.counts.postgres_restarts += 1

    async def rolling_restart(self) -> None:
        """Each member in turn: SIGTERM, wait for its exit, start it, wait until ready."""
        for member in list(self.topology):
            await self._restart(member)

    async def _restart(self, member: Member) -> None:
        member.held = True
        try:
            # One a kill left starting is let finish first: a stop is judged on a running process.
            await self.topology.wait_ready(member, READY_S)
            program = member.program
            if program is not None and program.is_running():
                program.process.send_signal(signal.SIGTERM)
                try:
                    status = await asyncio.to_thread(program.process.wait, SIGTERM_EXIT_S)
                except subprocess.TimeoutExpired:
                    await asyncio.to_thread(program.kill)
                    status = None
                if status != 0:
                    self.counts.unclean_stops.append(f"{member.name}: exit status {status}")
            self.topology.spawn(member)
            self.counts.rolling_restarts += 1
            await self.topology.wait_ready(member, READY_S)
        finally:
            member.held = False
