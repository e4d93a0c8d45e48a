"""What a worker's handlers work with, built once per process from its roles.

The job store is opened when a role needs it: training keeps its leases there; the
LLM and RL roles use it, when a database is configured, for the shared LLM cache and
to drop the work of jobs cancelled meanwhile.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dynaconf import Dynaconf
from faststream.kafka import KafkaBroker

from brokers.topics import EVENTS_TOPIC
from fragrance_ai.config_loader import get_checkpoint_dir, get_tensorboard_dir, load_llm_config
from fragrance_ai.programs.lifecycle import StartupError
from fragrance_ai.store import JOB_ENDED_CHANNEL, JobStore, open_pool
from fragrance_ai.workers.guarded import CancellationGuard
from fragrance_ai.workers.interpreting import (
    BriefCache,
    BriefReader,
    EnsembleReader,
    InterpretingStage,
    RuleBasedReader,
)
from fragrance_ai.workers.optimising import (
    OptimiserProcesses,
    OptimisingStage,
    PromotedRun,
    all_optimisers,
    no_promotion,
)
from handlers.publishing import retry_policy, worker_instance_id
from schemas.messages import Message

# How long an optimiser waits for the database to name the promoted policy.
PROMOTED_READ_S = 10.0

if TYPE_CHECKING:
    from fragrance_ai.workers.training import TrainingRunner


@dataclass(frozen=True)
class WorkerResources:
    store: JobStore | None
    runner: "TrainingRunner | None"


async def open_store(
    settings: Dynaconf, roles: tuple[str, ...], stack: AsyncExitStack
) -> JobStore | None:
    if not settings.database.url:
        if "training" in roles:
            raise StartupError(
                "database.url (DATABASE_URL) not set: training workers keep their leases in it"
            )
        return None
    pool = await open_pool(
        settings.database.url,
        max_size=4,
        acquire_timeout_s=float(settings.database.acquire_timeout_s),
    )
    stack.push_async_callback(pool.close)
    return JobStore(pool)


async def brief_reader(
    settings: Dynaconf, store: JobStore | None, stack: AsyncExitStack
) -> BriefReader:
    """The rule-based interpreter, or the LLM ensemble loaded and warmed up once."""
    if settings.workers.llm.reader == "rule_based":
        return RuleBasedReader()
    from fragrance_ai.llm.config import parse_ensemble_config
    from fragrance_ai.llm.service import load_ensemble

    overrides = {"hf_home": settings.paths.hf_home} if settings.paths.hf_home else {}
    config = parse_ensemble_config(load_llm_config(settings), overrides=overrides)
    ensemble = await asyncio.to_thread(load_ensemble, config)
    stack.push_async_callback(ensemble.aclose)
    cache = None
    if store is not None and settings.cache.enabled:
        cache = BriefCache(store, float(settings.cache.ttl_s))
    return EnsembleReader(ensemble, cache)


def training_runner(settings: Dynaconf, broker: KafkaBroker, store: JobStore) -> "TrainingRunner":
    from fragrance_ai.workers.training import TrainingRunner

    async def publish(event: Message) -> None:
        await broker.publish(event, EVENTS_TOPIC, key=str(event.job_id).encode())

    return TrainingRunner(
        store=store,
        publish=publish,
        owner=worker_instance_id(settings),
        checkpoint_dir=get_checkpoint_dir(settings),
        tensorboard_dir=get_tensorboard_dir(settings),
        lease_ttl_s=float(settings.training.lease_ttl_s),
        sweep_s=float(settings.training.sweep_s),
        max_runs=int(settings.training.max_runs_per_worker),
    )


def promoted_run_of(store: JobStore) -> PromotedRun:
    """The promoted run, read from the database on the worker's event loop, for an
    optimiser running in a thread of its own."""
    loop = asyncio.get_running_loop()

    def promoted_run() -> str | None:
        return asyncio.run_coroutine_threadsafe(store.promoted_run(), loop).result(PROMOTED_READ_S)

    return promoted_run


@asynccontextmanager
async def worker_resources(
    settings: Dynaconf, broker: KafkaBroker, roles: tuple[str, ...]
) -> AsyncIterator[WorkerResources]:
    """Build each role's domain objects into the broker's context; close them after."""
    async with AsyncExitStack() as stack:
        store = await open_store(settings, roles, stack)
        guard = None
        if store is not None:
            notifier = await stack.enter_async_context(store.notifier(JOB_ENDED_CHANNEL))
            guard = CancellationGuard(store, notifier)
        runner = None
        if "llm" in roles:
            reader = await brief_reader(settings, store, stack)
            stage = InterpretingStage(
                reader,
                retry_policy(settings),
                guard,
                ifra_safety_margin=float(settings.formulation.ifra_safety_margin),
            )
            broker.context.set_global("interpreting_stage", stage)
        if "rl" in roles:
            promoted = promoted_run_of(store) if store is not None else no_promotion
            optimisers = all_optimisers(get_checkpoint_dir(settings), promoted)
            processes = OptimiserProcesses(int(settings.workers.rl.concurrency))
            stack.callback(processes.close)
            await processes.start()
            optimising = OptimisingStage(optimisers, retry_policy(settings), guard, processes)
            broker.context.set_global("optimising_stage", optimising)
        if "training" in roles and store is not None:
            runner = training_runner(settings, broker, store)
            broker.context.set_global("training_runner", runner)
        yield WorkerResources(store, runner)
