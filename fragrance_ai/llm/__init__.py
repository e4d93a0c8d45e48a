"""The LLM ensemble: brief text in, a validated Brief and its provenance out.

The service and what serves it import torch and transformers; they load on first use,
so processes that only need the errors, settings or results (the API) stay light.
"""

from typing import Any

from fragrance_ai.llm.config import EnsembleConfig, FieldEvidence, ModelSpec, parse_ensemble_config
from fragrance_ai.llm.ensemble import EnsembleResult, FieldDecision, ModelOutcome, combine
from fragrance_ai.llm.errors import (
    BackendNotInstalledError,
    LLMError,
    ModelNotFoundError,
    ModelsMissingError,
    ModelUnavailableError,
    QuantizationUnavailableError,
    UnsupportedBackendOptionError,
)
from fragrance_ai.llm.prompt import cache_key, normalise_for_cache

__all__ = [
    "BackendNotInstalledError",
    "EnsembleConfig",
    "EnsembleResult",
    "FieldDecision",
    "FieldEvidence",
    "LLMEnsemble",
    "LLMError",
    "ModelNotFoundError",
    "ModelOutcome",
    "ModelSpec",
    "ModelUnavailableError",
    "ModelsMissingError",
    "QuantizationUnavailableError",
    "UnsupportedBackendOptionError",
    "cache_key",
    "combine",
    "combine_outcomes",
    "normalise_for_cache",
    "parse_ensemble_config",
]


def __getattr__(name: str) -> Any:
    if name in ("LLMEnsemble", "combine_outcomes"):
        from fragrance_ai.llm import service

        return getattr(service, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
