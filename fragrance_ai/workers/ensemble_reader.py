"""Brief text read by the LLM ensemble, with a shared cache in PostgreSQL."""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fragrance_ai.llm.brief_text import cache_key
from fragrance_ai.llm.metrics import LLM_CACHE_HITS, LLM_CACHE_MISSES
from fragrance_ai.store import JobStore
from schemas.brief import Interpretation

if TYPE_CHECKING:
    from fragrance_ai.llm.service import LLMEnsemble


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
