"""Read a model's reply as data: the first JSON object in it, in the reply's form (see
reply_schema), validated as a Brief."""

import json
from collections.abc import Collection
from dataclasses import dataclass

from pydantic import ValidationError

from fragrance_ai.llm.reply_schema import MATERIAL_FIELDS, NOTE_FIELDS, brief_fields
from schemas.brief import Brief

_decoder = json.JSONDecoder()


@dataclass(frozen=True)
class ParsedReply:
    """Either a valid brief, or the reason the reply was rejected."""

    brief: Brief | None
    error: str | None


def first_json_object(text: str) -> dict[str, object]:
    """The JSON object that starts at the reply's first '{'.

    A broken or cut-off object is an error, not a reason to look further: the next '{'
    would usually be a nested value (e.g. family_weights), not a brief.
    """
    start = text.find("{")
    if start == -1:
        raise ValueError("the reply contains no JSON object")
    try:
        value, _ = _decoder.raw_decode(text, start)
    except json.JSONDecodeError as error:
        raise ValueError(f"the reply's JSON object is malformed or cut off: {error.msg}") from None
    if not isinstance(value, dict):
        raise ValueError("the reply's JSON is not an object")
    return value


def parse_reply(
    text: str,
    material_ids: Collection[str] | None = None,
    note_words: Collection[str] | None = None,
) -> ParsedReply:
    """Validate a reply; unknown catalog ids or notes make it invalid rather than guessed at."""
    try:
        fields = brief_fields(first_json_object(text))
    except ValueError as error:
        return ParsedReply(None, str(error))
    try:
        brief = Brief.model_validate(fields)
    except ValidationError as error:
        return ParsedReply(None, _summarise(error))
    unknown = _unknown_vocabulary(brief, material_ids, note_words)
    if unknown:
        return ParsedReply(None, unknown)
    return ParsedReply(brief, None)


def _summarise(error: ValidationError) -> str:
    parts = []
    for item in error.errors(include_url=False, include_input=False)[:5]:
        where = ".".join(str(p) for p in item["loc"]) or "brief"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def _unknown_vocabulary(
    brief: Brief, material_ids: Collection[str] | None, note_words: Collection[str] | None
) -> str | None:
    problems = []
    if material_ids is not None:
        for field in MATERIAL_FIELDS:
            bad = sorted(set(getattr(brief, field)) - set(material_ids))
            if bad:
                problems.append(f"{field}: unknown material id(s) {', '.join(bad)}")
    if note_words is not None:
        for field in NOTE_FIELDS:
            bad = sorted(set(getattr(brief, field)) - set(note_words))
            if bad:
                problems.append(f"{field}: unknown note(s) {', '.join(bad)}")
    return "; ".join(problems) or None
