"""Long training runs beside the Kafka consumer, never inside its poll loop.

A `TrainPolicy` command is acknowledged as soon as its run has started: the run then
belongs to a lease in PostgreSQL, not to an uncommitted offset, so it can take hours
without tripping `max.poll.interval.ms` (aiokafka issue 848). The worker holding the
lease renews it while the run goes on; a worker that dies stops renewing, and another
worker's sweep takes the run over from its last checkpoint. Cancelling the job, or
SIGTERM, stops the run at its next iteration with its checkpoint kept.
"""

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

import structlog

from fragrance_ai.metrics.rl import (
    RL_MEAN_EPISODE_REWARD,
    RL_MEAN_OBJECTIVE,
    RL_STEPS_PER_SECOND,
    RL_TRAINING_EPISODES,
)
from fragrance_ai.store import JOB_ENDED_CHANNEL, JobStore
from fragrance_ai.training.ppo import PPOConfig
from fragrance_ai.training.train import TrainConfig, train_policy
from schemas.jobs import JobKind, JobStatus
from schemas.messages import OPTIMISING as STAGE
from schemas.messages import (
    JobFailed,
    Message,
    PolicyTrained,
    StageStarted,
    TrainingProgressed,
    TrainPolicy,
)
from schemas.training import TrainingOptions, TrainingOutcome, TrainingProgress

log = structlog.get_logger(__name__)

Publish = Callable[[Message], Awaitable[None]]


def train_config(
    options: TrainingOptions, checkpoint_dir: Path, tensorboard_dir: Path | None
) -> TrainConfig:
    assert options.run is not None, "runs are named when the job is submitted"
    ppo = PPOConfig(
        seed=options.seed,
        n_ingredients=options.n_ingredients,
        num_envs=options.num_envs,
        total_timesteps=options.total_timesteps,
    )
    return TrainConfig(
        run=options.run,
        checkpoint_dir=checkpoint_dir,
        tensorboard_dir=tensorboard_dir,
        ppo=ppo,
        checkpoint_every=options.checkpoint_every,
    )


def lease_name(job_id: UUID) -> str:
    return f"training:{job_id}"


@dataclass
class TrainingRunner:
    store: JobStore
    publish: Publish
    owner: str
    checkpoint_dir: Path
    tensorboard_dir: Path | None
    lease_ttl_s: float = 30.0
    """A run whose worker stops renewing is taken over after this long."""
    sweep_s: float = 10.0
    """How often to look for runs that lost their worker."""
    max_runs: int = 2
    """Runs trained here at once; another stays queued until a sweep finds room for it."""
    _runs: dict[UUID, tuple[asyncio.Task[None], threading.Event]] = field(default_factory=dict)
    _sweeper: asyncio.Task[None] | None = None

    async def take(self, command: TrainPolicy) -> bool:
        """Start the run unless it is finished, already running here or elsewhere, or
        this worker already trains `max_runs`."""
        job_id = command.job_id
        job = await self.store.get_job(job_id)
        if job.status.is_terminal or job_id in self._runs:
            return False
        if len(self._runs) >= self.max_runs:
            log.info("training run left queued: this worker is full", runs=len(self._runs))
            return False
        if not await self.store.acquire_lease(lease_name(job_id), self.owner, self.lease_ttl_s):
            return False
        stop = threading.Event()
        task = asyncio.create_task(self._run(command, stop), name=f"training-{job_id}")
        self._runs[job_id] = (task, stop)
        return True

    async def _run(self, command: TrainPolicy, stop: threading.Event) -> None:
        job_id = command.job_id
        config = train_config(command.options, self.checkpoint_dir, self.tensorboard_dir)
        loop = asyncio.get_running_loop()
        progress: asyncio.Queue[TrainingProgress | None] = asyncio.Queue()

        def report(item: TrainingProgress) -> None:
            loop.call_soon_threadsafe(progress.put_nowait, item)

        await self.publish(StageStarted(job_id=job_id, stage=STAGE, worker=self.owner))
        keeper = asyncio.create_task(self._keep(job_id, stop))
        episodes_per_iteration = config.ppo.num_envs * config.ppo.episodes_per_rollout
        forwarder = asyncio.create_task(self._forward(job_id, progress, episodes_per_iteration))
        try:
            outcome = await asyncio.to_thread(
                train_policy,
                config,
                should_stop=stop.is_set,
                on_progress=report,
            )
            progress.put_nowait(None)
            await forwarder
            await self._finish(job_id, outcome)
        except Exception as exc:
            log.exception("training run failed", run=config.run)
            failed = JobFailed(
                job_id=job_id,
                stage=STAGE,
                reason="training stopped on an internal error",
                detail=f"training failed: {type(exc).__name__}: {exc}",
            )
            await self.publish(failed)
        finally:
            forwarder.cancel()
            keeper.cancel()
            with contextlib.suppress(Exception):
                # With the database down, the lease is left to lapse instead.
                await self.store.release_lease(lease_name(job_id), self.owner)
            self._runs.pop(job_id, None)

    async def _finish(self, job_id: UUID, outcome: TrainingOutcome) -> None:
        if outcome.status == "completed":
            await self.publish(PolicyTrained(job_id=job_id, outcome=outcome))
        else:
            log.info("training run stopped; its checkpoint is kept", checkpoint=outcome.checkpoint)

    async def _forward(
        self,
        job_id: UUID,
        progress: "asyncio.Queue[TrainingProgress | None]",
        episodes_per_iteration: int,
    ) -> None:
        while (item := await progress.get()) is not None:
            RL_TRAINING_EPISODES.inc(episodes_per_iteration)
            RL_MEAN_EPISODE_REWARD.set(item.mean_return)
            RL_MEAN_OBJECTIVE.set(item.mean_objective)
            RL_STEPS_PER_SECOND.set(item.steps_per_second)
            await self.publish(TrainingProgressed(job_id=job_id, progress=item))

    async def _keep(self, job_id: UUID, stop: threading.Event) -> None:
        """Renew the lease; stop the run if the lease is lost or the job was cancelled.
        The job's end (a cancellation among them) wakes the check at once.

        While the database does not answer (a restart), the run goes on on the lease it
        last renewed; once that may lapse before the next renewal, the run stops, for
        another worker may then take it over and two must never train one run."""
        renew_every = self.lease_ttl_s / 3
        renewed_at = time.monotonic()
        while not stop.is_set():
            try:
                async with (
                    self.store.notifier(JOB_ENDED_CHANNEL) as notifier,
                    notifier.watch(JOB_ENDED_CHANNEL, str(job_id)) as wake,
                ):
                    while not stop.is_set():
                        await wake.wait(renew_every)
                        renewed = True
                        if time.monotonic() - renewed_at >= renew_every:
                            renewed = await self.store.renew_lease(
                                lease_name(job_id), self.owner, self.lease_ttl_s
                            )
                            renewed_at = time.monotonic()
                        job = await self.store.get_job(job_id)
                        cancelled = job.status is JobStatus.CANCELLED
                        if not renewed or cancelled:
                            log.info(
                                "stopping training run", lease_lost=not renewed, cancelled=cancelled
                            )
                            stop.set()
            except Exception as exc:
                if time.monotonic() - renewed_at >= self.lease_ttl_s - renew_every:
                    log.warning(
                        "stopping training run: its lease could not be renewed",
                        error=f"{type(exc).__name__}: {exc}",
                    )
                    stop.set()
                else:
                    await asyncio.sleep(min(1.0, renew_every))

    async def sweep_once(self) -> int:
        """Take over unfinished training runs that no live worker holds."""
        taken = 0
        for job in await self.store.unfinished_jobs():
            if job.kind is JobKind.TRAINING and job.id not in self._runs:
                options = TrainingOptions.model_validate(job.options)
                taken += await self.take(TrainPolicy(job_id=job.id, options=options))
        return taken

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_s)
            try:
                if taken := await self.sweep_once():
                    log.info("training runs taken over", count=taken)
            except Exception as exc:
                log.warning("training sweep failed", error=str(exc))

    def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="training-sweeper")

    async def shutdown(self, timeout_s: float) -> None:
        """Stop every run at its next iteration (checkpoint kept) and give its lease back."""
        if self._sweeper is not None:
            self._sweeper.cancel()
        for _, stop in self._runs.values():
            stop.set()
        tasks = [task for task, _ in self._runs.values()]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout_s)
            for task in pending:
                task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            if self._sweeper is not None:
                await self._sweeper
