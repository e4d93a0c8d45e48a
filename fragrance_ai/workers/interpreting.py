"""The LLM role's stage: brief text in, a structured brief out, read by the rules or by
the LLM ensemble (whose readings are shared through a cache in PostgreSQL)."""

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from fragrance_ai.interpreter import interpret
from fragrance_ai.interpreter.errors import BriefError
from fragrance_ai.jobs.retry import RetryPolicy
from fragrance_ai.llm.metrics import LLM_CACHE_HITS, LLM_CACHE_MISSES
from fragrance_ai.llm.prompt import cache_key
from fragrance_ai.store import JobStore
from fragrance_ai.workers.guarded import CancellationGuard, run_guarded
from schemas.brief import DEFAULT_IFRA_SAFETY_MARGIN, Brief, Interpretation
from schemas.messages import INTERPRETING as STAGE
from schemas.messages import BriefInterpreted, InterpretBrief, JobFailed

if TYPE_CHECKING:
    from fragrance_ai.llm.service import LLMEnsemble


class BriefReader(Protocol):
    """Reads brief text; raises BriefError for text no reader could make sense of."""

    async def read(self, text: str) -> tuple[Interpretation, dict[str, Any]]: ...


class RuleBasedReader:
    """The lexicon interpreter, run off the event loop."""

    async def read(self, text: str) -> tuple[Interpretation, dict[str, Any]]:
        interpretation = await asyncio.to_thread(interpret, text)
        return interpretation, {"source": "rule_based"}


@dataclass(frozen=True)
class BriefCache:
    store: JobStore
    ttl_s: float

    async def get(self, key: str) -> dict[str, Any] | None:
        value = await self.store.cache_get(key)
        (LLM_CACHE_HITS if value is not None else LLM_CACHE_MISSES).inc()
        return value

    async def put(self, key: str, value: dict[str, Any]) -> None:
        await self.store.cache_put(key, value, self.ttl_s)


@dataclass
class EnsembleReader:
    ensemble: "LLMEnsemble"
    cache: BriefCache | None = None

    async def read(self, text: str) -> tuple[Interpretation, dict[str, Any]]:
        key = cache_key(text, self.ensemble.config)
        if self.cache is not None and (hit := await self.cache.get(key)) is not None:
            details = {**hit["details"], "cache": "hit"}
            return Interpretation.model_validate(hit["interpretation"]), details
        result = await self.ensemble.interpret(text)  # raises BriefError for a refused text
        interpretation = result.interpretation
        details = {
            "source": "ensemble",
            **result.model_dump(mode="json", exclude={"interpretation"}),
        }
        if self.cache is not None:
            await self.cache.put(
                key, {"interpretation": interpretation.model_dump(mode="json"), "details": details}
            )
        return interpretation, details


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

        def interpreted(
            read: tuple[Interpretation, dict[str, Any]], duration_s: float
        ) -> BriefInterpreted:
            interpretation, details = read
            return BriefInterpreted(
                job_id=command.job_id,
                interpretation=with_margin(interpretation, self.ifra_safety_margin),
                details={**details, "duration_s": duration_s},
            )

        return await run_guarded(
            command.job_id,
            STAGE,
            lambda: self.reader.read(command.text),
            interpreted,
            retry=self.retry,
            guard=self.guard,
            permanent=(BriefError,),
        )


def with_margin(interpretation: Interpretation, ifra_safety_margin: float) -> Interpretation:
    """The interpretation with its brief held to this share of each IFRA limit."""
    brief = Brief.model_validate(
        {**dict(interpretation.brief), "ifra_safety_margin": ifra_safety_margin}
    )
    return interpretation.model_copy(update={"brief": brief})
