"""The RL role's stage: a structured brief in, a formula out."""

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass

from fragrance_ai.jobs.retry import RetriesExhaustedError, RetryPolicy, with_retries
from fragrance_ai.optimiser.errors import FormulationError
from fragrance_ai.workers.optimisers import Optimise
from schemas.messages import (
    FormulaOptimized,
    JobFailed,
    OptimizeFormula,
    Optimizer,
)

STAGE = "optimising"


@dataclass
class OptimisingStage:
    optimisers: Mapping[Optimizer, Optimise]
    retry: RetryPolicy

    async def run(self, command: OptimizeFormula) -> FormulaOptimized | JobFailed:
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
        try:
            formula = await with_retries(
                lambda: asyncio.to_thread(optimiser, command.brief, command.options),
                self.retry,
                permanent=(FormulationError,),
            )
        except (FormulationError, RetriesExhaustedError) as exc:
            return JobFailed(job_id=command.job_id, stage=STAGE, reason=str(exc))
        return FormulaOptimized(
            job_id=command.job_id,
            formula=formula,
            optimizer=chosen,
            duration_s=round(time.perf_counter() - started, 4),
        )
