"""The key under which an interpretation is cached: same text, models and parameters."""

import hashlib
from collections.abc import Mapping
from typing import Any

import orjson

from fragrance_ai.llm.config import EnsembleConfig
from fragrance_ai.llm.sanitize import normalise


def normalise_for_cache(text: str) -> str:
    """Case, width, spacing and invisible characters do not change what a brief asks for."""
    return normalise(text).casefold()


def cache_key(
    text: str, config: EnsembleConfig, parameters: Mapping[str, Any] | None = None
) -> str:
    """sha256 over the normalised text, every enabled model's spec and the combination settings."""
    payload = {
        "text": normalise_for_cache(text),
        "models": sorted(
            (m.model_dump(mode="json") for m in config.enabled_models), key=lambda m: m["name"]
        ),
        "combination": config.model_dump(
            mode="json",
            include={"family_floor", "repair_attempts"},
        ),
        "parameters": dict(parameters or {}),
    }
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()
