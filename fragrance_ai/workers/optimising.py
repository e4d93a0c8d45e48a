"""The RL role's stage: a structured brief in, a formula out."""

import asyncio
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass

from fragrance_ai.interpreter.errors import BriefError
from fragrance_ai.jobs.retry import RetryPolicy
from fragrance_ai.optimiser.errors import FormulationError
from fragrance_ai.workers.guarded import CancellationGuard, run_guarded
from fragrance_ai.workers.named_optimisers import IN_PROCESSES, Optimise, OptimiserProcesses
from schemas.formula import Formula
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
        processes = self.processes if chosen in IN_PROCESSES else None

        def optimise() -> Awaitable[Formula]:
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
            optimise,
            optimised,
            retry=self.retry,
            guard=self.guard,
            permanent=(BriefError, FormulationError),
        )
