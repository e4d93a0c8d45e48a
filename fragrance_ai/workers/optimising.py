"""The RL role's stage: a structured brief in, a formula out."""

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass

from fragrance_ai.interpreter.errors import BriefError
from fragrance_ai.jobs.retry import RetriesExhaustedError, RetryPolicy, with_retries
from fragrance_ai.optimiser.errors import FormulationError
from fragrance_ai.workers.cancellation import CancellationGuard
from fragrance_ai.workers.named_optimisers import IN_PROCESSES, Optimise, OptimiserProcesses
from schemas.messages import OPTIMISING as STAGE
from schemas.messages import (
    FormulaOptimized,
    JobFailed,
    OptimizeFormula,
    Optimizer,
)


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
        started = time.perf_counter()
        processes = self.processes if chosen in IN_PROCESSES else None
        work = with_retries(
            lambda: (
                processes.run(optimiser, command.brief, command.options)
                if processes is not None
                else asyncio.to_thread(optimiser, command.brief, command.options)
            ),
            self.retry,
            permanent=(BriefError, FormulationError),
        )
        try:
            formula = await (self.guard.run(command.job_id, work) if self.guard else work)
        except (BriefError, FormulationError) as exc:
            return JobFailed(job_id=command.job_id, stage=STAGE, reason=str(exc))
        except RetriesExhaustedError as exc:
            return JobFailed(job_id=command.job_id, stage=STAGE, reason=exc.reason, detail=str(exc))
        if formula is None:
            return None
        return FormulaOptimized(
            job_id=command.job_id,
            formula=formula,
            optimizer=chosen,
            duration_s=round(time.perf_counter() - started, 4),
        )
