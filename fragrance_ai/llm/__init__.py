"""The LLM ensemble: brief text in, a validated Brief and its provenance out."""

from fragrance_ai.llm.cache_key import cache_key, normalise_for_cache
from fragrance_ai.llm.config import EnsembleConfig, ModelSpec, parse_ensemble_config
from fragrance_ai.llm.ensemble import combine_votes
from fragrance_ai.llm.errors import (
    BackendNotInstalledError,
    BriefTooLongError,
    EmptyBriefError,
    LLMError,
    ModelNotFoundError,
    ModelsMissingError,
    NoInterpretationError,
    QuantizationUnavailableError,
    UntrustedInputError,
)
from fragrance_ai.llm.results import EnsembleResult, FieldDecision, ModelOutcome, Vote
from fragrance_ai.llm.service import LLMEnsemble, combine_outcomes

__all__ = [
    "BackendNotInstalledError",
    "BriefTooLongError",
    "EmptyBriefError",
    "EnsembleConfig",
    "EnsembleResult",
    "FieldDecision",
    "LLMEnsemble",
    "LLMError",
    "ModelNotFoundError",
    "ModelOutcome",
    "ModelSpec",
    "ModelsMissingError",
    "NoInterpretationError",
    "QuantizationUnavailableError",
    "UntrustedInputError",
    "Vote",
    "cache_key",
    "combine_outcomes",
    "combine_votes",
    "normalise_for_cache",
    "parse_ensemble_config",
]
