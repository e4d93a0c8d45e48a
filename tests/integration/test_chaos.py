"""The chaos run, sized for CI: the deployed topology (2 APIs, 3 LLM workers, 2 RL
workers) keeps every invariant while processes are killed, the broker is stopped for
30 s, PostgreSQL restarts and every process is restarted in turn. `bench/chaos.py` runs
the same with 1,000 jobs; the machinery is in tests/chaos/."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.chaos.scenario import ChaosPlan, run_chaos

# Fewer jobs and shorter training than the bench, every fault kind kept: about four
# minutes on a shared 2-core machine, most of it the rolling restart.
CI_PLAN = ChaosPlan(
    jobs=200,
    training_runs=3,
    training_timesteps=8_192,
    load_s=60.0,
    kill_every_s=6.0,
    broker_pause_s=30.0,
    postgres_restarts=1,
    rolling_restart=True,
    drain_s=180.0,
)

# A bound on a hang, not a claim about speed: the plan above is the time budget.
pytestmark = [pytest.mark.integration, pytest.mark.chaos, pytest.mark.timeout(900)]


async def test_every_invariant_holds_through_kills_a_paused_broker_and_restarts() -> None:
    # Not under pytest's basetemp, which a concurrent run may prune under the live server.
    with tempfile.TemporaryDirectory(prefix="fragrance-chaos-") as root:
        report = await run_chaos(CI_PLAN, Path(root))
    print(*report.timeline, *report.lines(), sep="\n")
    assert not report.verdict.violations, "\n".join(report.lines()) + "\n" + report.logs
    faults = report.faults
    assert faults.kills > 0 and faults.respawns >= faults.kills, report.lines()
    assert (faults.broker_pauses, faults.postgres_restarts) == (1, 1), report.lines()
    assert faults.rolling_restarts == 7 and not faults.unclean_stops, report.lines()
    assert report.verdict.counts["ended succeeded"] > 0, report.lines()
    assert report.verdict.counts["dead letters"] == 6, report.lines()
