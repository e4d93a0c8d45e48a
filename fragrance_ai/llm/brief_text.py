"""Untrusted brief text before a model sees it: cleaned, held to the token budget, and
the key its interpretation is cached under (same text, models and parameters)."""

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import orjson

from fragrance_ai.interpreter.errors import BriefTooLongError, EmptyBriefError
from fragrance_ai.llm.config import EnsembleConfig

# Characters per token are rarely above this, so a longer text cannot fit the budget
# and is refused before the tokenizer has to read all of it.
_MAX_CHARS_PER_TOKEN = 8
_WHITESPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFKC-normalise, drop invisible and control characters (Cc, Cf), collapse spaces:
    the text as a model reads it, and as the cache knows it."""
    normalised = unicodedata.normalize("NFKC", text)
    visible = "".join(
        " " if ch.isspace() else ch
        for ch in normalised
        if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf")
    )
    return _WHITESPACE.sub(" ", visible).strip()


def clean_brief_text(text: str) -> str:
    """The text normalised; raises EmptyBriefError when nothing readable is left."""
    cleaned = normalise(text)
    if not cleaned:
        raise EmptyBriefError()
    return cleaned


def enforce_token_budget(text: str, tokenizer: Any, max_tokens: int) -> int | None:
    """Return the brief's token count, or raise BriefTooLongError naming both numbers.
    Without a tokenizer (a served model) only the character bound is checked: None."""
    if len(text) > max_tokens * _MAX_CHARS_PER_TOKEN:
        raise BriefTooLongError(len(text), max_tokens * _MAX_CHARS_PER_TOKEN)
    if tokenizer is None:
        return None
    count = len(tokenizer(text, add_special_tokens=False)["input_ids"])
    if count > max_tokens:
        raise BriefTooLongError(count, max_tokens, unit="tokens")
    return count


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
