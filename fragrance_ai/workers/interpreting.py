"""The LLM role's stage: brief text in, a structured brief out."""

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Protocol

from fragrance_ai.interpreter import interpret
from fragrance_ai.interpreter.errors import BriefError
from fragrance_ai.jobs.retry import RetriesExhaustedError, RetryPolicy, with_retries
from fragrance_ai.workers.cancellation import CancellationGuard
from schemas.brief import DEFAULT_IFRA_SAFETY_MARGIN, Brief
from schemas.interpretation import Interpretation
from schemas.messages import INTERPRETING as STAGE
from schemas.messages import BriefInterpreted, InterpretBrief, JobFailed


class BriefReader(Protocol):
    """Reads brief text; raises BriefError for text no reader could make sense of."""

    async def read(self, text: str) -> tuple[Interpretation, dict[str, Any]]: ...


class RuleBasedReader:
    """The lexicon interpreter, run off the event loop."""

    async def read(self, text: str) -> tuple[Interpretation, dict[str, Any]]:
        interpretation = await asyncio.to_thread(interpret, text)
        return interpretation, {"source": "rule_based"}


@dataclass
class InterpretingStage:
    reader: BriefReader
    retry: RetryPolicy
    guard: CancellationGuard | None = None
    """Drops the work of a job cancelled meanwhile (needs the job store)."""
    ifra_safety_margin: float = DEFAULT_IFRA_SAFETY_MARGIN
    """The `formulation.ifra_safety_margin` setting, set on every brief read."""

    async def run(self, command: InterpretBrief) -> BriefInterpreted | JobFailed | None:
        """The job's result event; None when the job was cancelled first."""
        started = time.perf_counter()
        work = with_retries(
            lambda: self.reader.read(command.text), self.retry, permanent=(BriefError,)
        )
        try:
            read = await (self.guard.run(command.job_id, work) if self.guard else work)
        except BriefError as exc:
            return JobFailed(job_id=command.job_id, stage=STAGE, reason=str(exc))
        except RetriesExhaustedError as exc:
            return JobFailed(job_id=command.job_id, stage=STAGE, reason=exc.reason, detail=str(exc))
        if read is None:
            return None
        interpretation, details = read
        interpretation = with_margin(interpretation, self.ifra_safety_margin)
        details = {**details, "duration_s": round(time.perf_counter() - started, 4)}
        return BriefInterpreted(
            job_id=command.job_id, interpretation=interpretation, details=details
        )


def with_margin(interpretation: Interpretation, ifra_safety_margin: float) -> Interpretation:
    """The interpretation with its brief held to this share of each IFRA limit."""
    brief = Brief.model_validate(
        {**dict(interpretation.brief), "ifra_safety_margin": ifra_safety_margin}
    )
    return interpretation.model_copy(update={"brief": brief})
