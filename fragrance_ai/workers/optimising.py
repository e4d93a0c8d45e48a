"""The RL role's stage: a structured brief in, a formula out, by the optimiser the
`OptimizeFormula` command names; all of them maximise the one objective.

Each optimiser is a plain function (brief, options) -> Formula, run off the event loop
by the stage. Torch and DEAP load on first use, so a worker that only ever runs the
reference optimiser starts without them.

The reference and GA optimisers run in processes of their own (`OptimiserProcesses`),
not in threads: they are pure Python and numpy holding the GIL, so in a thread they
starve the event loop (a loop that gives up the GIL at each socket call waits up to the
switch interval, 5 ms, to get it back) and a second one runs no faster than one.
PPO and a trained policy stay in threads: torch releases the GIL and spreads over the
cores itself, and the policy is a loaded model kept in this process.
"""

import asyncio
import multiprocessing
import signal
import threading
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from fragrance_ai.interpreter.errors import BriefError
from fragrance_ai.jobs.retry import RetryPolicy
from fragrance_ai.optimiser import optimise
from fragrance_ai.optimiser.errors import FormulationError
from fragrance_ai.training.checkpoint import POLICY_FILE
from fragrance_ai.workers.guarded import CancellationGuard, run_guarded
from schemas.brief import Brief
from schemas.formula import Formula
from schemas.messages import OPTIMISING as STAGE
from schemas.messages import (
    FormulaOptimized,
    FormulationOptions,
    JobFailed,
    OptimizeFormula,
    Optimizer,
)

Optimise = Callable[[Brief, FormulationOptions], Formula]


def reference_optimiser(brief: Brief, options: FormulationOptions) -> Formula:
    return optimise(brief).formula


def ppo_optimiser(brief: Brief, options: FormulationOptions) -> Formula:
    from fragrance_ai.training.optimise import optimise_with_ppo
    from fragrance_ai.training.ppo import PPOConfig

    return optimise_with_ppo(brief, PPOConfig(seed=options.seed)).formula


def ga_optimiser(brief: Brief, options: FormulationOptions) -> Formula:
    from fragrance_ai.optimiser.ga import GAConfig, optimise_with_ga

    return optimise_with_ga(brief, GAConfig(seed=options.seed)).best


class NoTrainedPolicyError(FormulationError):
    def __init__(self, run: str | None) -> None:
        # The folder is the worker's own business: a client is not told where it is.
        super().__init__(
            "no trained policy is served yet: an admin key promotes a finished training run"
            " (POST /v1/training-runs/{id}/promote) before optimizer=policy can be used"
            if run is None
            else f"the promoted policy of {run} is not on this worker"
        )
        self.run = run


PromotedRun = Callable[[], str | None]


def no_promotion() -> str | None:
    """For a worker without a database: no policy is ever served."""
    return None


class PolicyOptimiser:
    """The policy of the training run an admin promoted (`promoted_run`), never merely the
    newest: a run any `train` key starts cannot change what is served. Loaded once, and
    again when another run is promoted or its file changes."""

    def __init__(self, checkpoint_dir: Path, promoted_run: PromotedRun = no_promotion) -> None:
        self.checkpoint_dir = checkpoint_dir
        self.promoted_run = promoted_run
        self._lock = threading.Lock()
        self._loaded: tuple[Path, float, object] | None = None

    def promoted_policy(self) -> Path:
        run = self.promoted_run()
        path = self.checkpoint_dir / run / POLICY_FILE if run is not None else None
        if path is None or not path.is_file():
            raise NoTrainedPolicyError(run)
        return path

    def __call__(self, brief: Brief, options: FormulationOptions) -> Formula:
        from fragrance_ai.training.policy import Policy

        path = self.promoted_policy()
        mtime = path.stat().st_mtime
        with self._lock:
            if self._loaded is None or self._loaded[:2] != (path, mtime):
                self._loaded = (path, mtime, Policy.load(path))
            policy = self._loaded[2]
        assert isinstance(policy, Policy)
        return policy.formulate(brief)


def all_optimisers(
    checkpoint_dir: Path, promoted_run: PromotedRun = no_promotion
) -> dict[Optimizer, Optimise]:
    return {
        Optimizer.REFERENCE: reference_optimiser,
        Optimizer.PPO: ppo_optimiser,
        Optimizer.GA: ga_optimiser,
        Optimizer.POLICY: PolicyOptimiser(checkpoint_dir, promoted_run),
    }


IN_PROCESSES = frozenset({Optimizer.REFERENCE, Optimizer.GA})
"""The optimisers `OptimiserProcesses` runs: plain module functions, pickled by name."""

WARM_UP_BRIEF = "a fresh citrus cologne"


def ignore_interrupts() -> None:
    """In each pool process: a terminal's Ctrl-C reaches the whole process group, and
    the worker stops its pool itself, in order; without this every idle process would
    print a KeyboardInterrupt of its own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def warm_up() -> None:
    """Loads the catalogue and the tables in a new process, before its first job."""
    from fragrance_ai.interpreter import interpret

    optimise(interpret(WARM_UP_BRIEF).brief)


class OptimiserProcesses:
    """A pool of `processes` processes for the optimisers of `IN_PROCESSES`. A pool
    whose process died (killed, out of memory) is replaced, and the job's attempt fails
    as a transient error, so the stage's retries run it again on the new pool."""

    def __init__(self, processes: int) -> None:
        self.processes = max(1, processes)
        self._pool: Executor | None = None

    def _started(self) -> Executor:
        if self._pool is None:
            # spawn, not fork: the worker has threads (the event loop's executor, the
            # Kafka clients), and a fork copies their locks in whatever state they are.
            self._pool = ProcessPoolExecutor(
                self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=ignore_interrupts,
            )
        return self._pool

    async def start(self) -> None:
        """Starts the processes and warms each, so the first jobs do not pay for it."""
        pool = self._started()
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(pool, warm_up) for _ in range(self.processes)))

    async def run(self, optimiser: Optimise, brief: Brief, options: FormulationOptions) -> Formula:
        pool = self._started()
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, optimiser, brief, options)
        except BrokenProcessPool:
            if self._pool is pool:
                self._pool = None
                pool.shutdown(wait=False, cancel_futures=True)
            raise

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


@dataclass
class OptimisingStage:
    optimisers: Mapping[Optimizer, Optimise]
    retry: RetryPolicy
    guard: CancellationGuard | None = None
    """Drops the work of a job cancelled meanwhile (needs the job store)."""
    processes: OptimiserProcesses | None = None
    """Where the optimisers of `IN_PROCESSES` run; the others, and all of them when
    None, run in a thread."""

    async def run(self, command: OptimizeFormula) -> FormulaOptimized | JobFailed | None:
        """The job's result event; None when the job was cancelled first."""
        chosen = command.options.optimizer
        optimiser = self.optimisers.get(chosen)
        if optimiser is None:
            available = ", ".join(sorted(self.optimisers))
            return JobFailed(
                job_id=command.job_id,
                stage=STAGE,
                reason=f"optimizer {chosen.value!r} is not available on this worker (available: {available})",
            )
        processes = self.processes if chosen in IN_PROCESSES else None

        def optimising() -> Awaitable[Formula]:
            if processes is not None:
                return processes.run(optimiser, command.brief, command.options)
            return asyncio.to_thread(optimiser, command.brief, command.options)

        def optimised(formula: Formula, duration_s: float) -> FormulaOptimized:
            return FormulaOptimized(
                job_id=command.job_id, formula=formula, optimizer=chosen, duration_s=duration_s
            )

        return await run_guarded(
            command.job_id,
            STAGE,
            optimising,
            optimised,
            retry=self.retry,
            guard=self.guard,
            permanent=(BriefError, FormulationError),
        )
