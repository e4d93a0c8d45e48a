"""Training runs as separate worker processes: killed, stopped and cancelled mid-run."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import aiohttp
import pytest

from tests.integration.conftest import Launcher, events_of, fetch, wait_for

pytestmark = pytest.mark.integration

# 64 environments x 16 steps = 1,024 steps an iteration: 64 short iterations.
RUN = {"total_timesteps": 65_536, "num_envs": 64, "checkpoint_every": 2, "seed": 3}


async def start_run(session: aiohttp.ClientSession, api_url: str, **options: Any) -> UUID:
    async with session.post(f"{api_url}/v1/training-runs", json={**RUN, **options}) as reply:
        assert reply.status == 202, await reply.text()
        return UUID((await reply.json())["job_id"])


async def run_view(session: aiohttp.ClientSession, api_url: str, job_id: UUID) -> dict[str, Any]:
    async with session.get(f"{api_url}/v1/training-runs/{job_id}") as reply:
        assert reply.status == 200, await reply.text()
        view: dict[str, Any] = await reply.json()
        return view


async def lease_owner(database_url: str, job_id: UUID) -> str | None:
    rows = await fetch(
        database_url, "SELECT owner FROM leases WHERE name = $1 AND expires_at > now()",
        f"training:{job_id}",
    )  # fmt: skip
    return rows[0]["owner"] if rows else None


def checkpoints(directory: Path) -> list[Path]:
    return sorted(directory.glob("*/step-*.pt"))


async def reached_iteration(database_url: str, job_id: UUID, iteration: int) -> bool:
    progress = await events_of(database_url, job_id, "training_progressed")
    return bool(progress) and progress[-1]["progress"]["iteration"] >= iteration


async def test_the_rl_worker_that_deployments_run_takes_training_runs_too(
    launch: Launcher, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    # `fragrance-ai worker rl` is what the Dockerfile, compose and Kubernetes start, and
    # no worker of the training role alone runs beside it there.
    dirs = {"CHECKPOINT_DIR": str(tmp_path / "ckpt"), "TENSORBOARD_DIR": str(tmp_path / "tb")}
    api_url = await launch.api()
    await launch.worker("rl", "rl-a", **dirs)
    job_id = await start_run(http, api_url, total_timesteps=4_096)

    async def finished() -> dict[str, Any] | None:
        view = await run_view(http, api_url, job_id)
        return view if view["job"]["status"] in ("succeeded", "failed") else None

    view = await wait_for(finished, 120, "the run to finish on the rl worker")
    assert view["job"]["status"] == "succeeded", view["job"]["error"]
    assert view["job"]["result"]["global_step"] == 4_096


async def test_a_run_whose_worker_is_killed_is_resumed_by_another_from_its_checkpoint(
    launch: Launcher, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    shared = {"CHECKPOINT_DIR": str(tmp_path / "ckpt"), "TENSORBOARD_DIR": str(tmp_path / "tb")}
    api_url = await launch.api()
    first = await launch.worker("training", "trainer-a", **shared)
    second = await launch.worker("training", "trainer-b", **shared)
    job_id = await start_run(http, api_url)

    async def first_checkpoint() -> bool:
        return bool(checkpoints(tmp_path / "ckpt"))

    # The disk, not the event stream, which runs behind the training it reports.
    await wait_for(first_checkpoint, 120, "the run's first checkpoint", every_s=0.02)
    owner = await lease_owner(launch.database_url, job_id)
    assert owner is not None, "the run ended before a worker could be killed"
    victim, survivor = (first, "trainer-b") if owner == "trainer-a" else (second, "trainer-a")
    victim.kill()

    async def finished() -> dict[str, Any] | None:
        view = await run_view(http, api_url, job_id)
        return view if view["job"]["status"] in ("succeeded", "failed") else None

    view = await wait_for(finished, 180, "the run to finish on the surviving worker")
    assert view["job"]["status"] == "succeeded", view["job"]["error"]
    outcome = view["job"]["result"]
    assert outcome["global_step"] == RUN["total_timesteps"]
    starts = await events_of(launch.database_url, job_id, "stage_started")
    assert outcome["resumed_from_step"], (outcome, starts, owner)
    assert Path(outcome["policy"]).is_file()
    assert len(await events_of(launch.database_url, job_id, "policy_trained")) == 1
    starts = await events_of(launch.database_url, job_id, "stage_started")
    assert [s["worker"] for s in starts] == [owner, survivor]
    assert list((tmp_path / "tb").iterdir()), "no TensorBoard events were written"


async def test_sigterm_checkpoints_the_run_and_exits_within_the_drain_time(
    launch: Launcher, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    shared = {"CHECKPOINT_DIR": str(tmp_path / "ckpt")}
    api_url = await launch.api()
    worker = await launch.worker("training", "trainer-a", **shared)
    job_id = await start_run(http, api_url, total_timesteps=1_024_000, checkpoint_every=1000)
    await wait_for(lambda: reached_iteration(launch.database_url, job_id, 2), 120, "two iterations")
    assert checkpoints(tmp_path / "ckpt") == [], "checkpoint_every=1000 wrote one already"

    started = time.monotonic()
    worker.process.send_signal(signal.SIGTERM)
    worker.process.wait(30)
    assert time.monotonic() - started < 25, "the worker outlived its drain time"
    assert worker.process.returncode == 0, worker.log_text()[-3000:]
    [saved] = checkpoints(tmp_path / "ckpt")
    progress = await events_of(launch.database_url, job_id, "training_progressed")
    assert saved.name == f"step-{progress[-1]['progress']['global_step']:012d}.pt"
    assert await lease_owner(launch.database_url, job_id) is None, "the lease was kept"
    assert (await run_view(http, api_url, job_id))["job"]["status"] == "optimising"


async def test_a_cancelled_run_stops_and_keeps_its_checkpoint(
    launch: Launcher, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    shared = {"CHECKPOINT_DIR": str(tmp_path / "ckpt")}
    api_url = await launch.api()
    await launch.worker("training", "trainer-a", **shared)
    job_id = await start_run(http, api_url, total_timesteps=1_024_000)
    await wait_for(
        lambda: reached_iteration(launch.database_url, job_id, 3), 120, "three iterations"
    )

    async with http.post(f"{api_url}/v1/jobs/{job_id}/cancel") as reply:
        assert reply.status == 200, await reply.text()
        assert (await reply.json())["status"] == "cancelled"
    cancelled_at = await last_iteration(launch.database_url, job_id)
    await wait_for(
        lambda: _no_lease(launch.database_url, job_id), 30, "the run to stop and free its lease"
    )
    saved = checkpoints(tmp_path / "ckpt")
    assert saved, "the stopped run left no checkpoint"
    await wait_for(
        lambda: progress_recorded_up_to(launch.database_url, job_id, saved[-1]),
        30,
        "the progress of the stopped run's last iteration",
    )
    stopped_at = await last_iteration(launch.database_url, job_id)
    await asyncio.sleep(2)  # a run still training would report further iterations meanwhile
    assert await last_iteration(launch.database_url, job_id) == stopped_at, "still training"
    assert stopped_at <= cancelled_at + 3, (cancelled_at, stopped_at)
    async with http.post(f"{api_url}/v1/jobs/{job_id}/cancel") as reply:
        assert reply.status == 409


async def last_iteration(database_url: str, job_id: UUID) -> int:
    progress = await events_of(database_url, job_id, "training_progressed")
    return int(progress[-1]["progress"]["iteration"]) if progress else 0


async def progress_recorded_up_to(database_url: str, job_id: UUID, checkpoint: Path) -> bool:
    """Whether the progress of the iteration `checkpoint` saved is recorded: a stopped run
    saves its last reported iteration, and its events may reach the database after its lease
    is given back."""
    progress = await events_of(database_url, job_id, "training_progressed")
    return bool(progress) and checkpoint.name == (
        f"step-{progress[-1]['progress']['global_step']:012d}.pt"
    )


async def _no_lease(database_url: str, job_id: UUID) -> bool:
    return await lease_owner(database_url, job_id) is None
