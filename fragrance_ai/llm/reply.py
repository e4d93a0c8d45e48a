"""A model's reply: the JSON schema it is held to while it is generated, and reading it
back as data, the first JSON object in it validated as a Brief.

The schema is derived from the Brief's own JSON schema, less the fields settings decide
(the IFRA safety margin), and with one change of form: the wanted and the excluded notes
are one map, note to side (`"notes":{"fig":"wanted","vanilla":"excluded"}`), and so are
the materials. A note then cannot be both wanted and excluded, the one thing
that made constrained replies fail the Brief's checks (47 of 62 first replies in the
labelled set, when the two lists were apart). `brief_fields` turns a reply back into the
Brief's fields.

For one brief the schema is narrowed further: notes and material ids from the lists the
prompt gave, family weights keyed by family, no other keys, compact JSON. A reply that
fits it can still fail the Brief's other cross-field checks (say, no family above
zero); those are validated afterwards. While a reply is written, `narrowed_by_weights`
narrows its schema once its family weights are out, so that no family is both weighted
and excluded.
"""

import copy
import itertools
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

from pydantic import ValidationError

from schemas.brief import Brief, wanted_families
from schemas.material import Family

NOTE_FIELDS = ("wanted_notes", "excluded_notes")
MATERIAL_FIELDS = ("wanted_materials", "excluded_materials")
# The reply's map fields and the Brief's (wanted, excluded) lists each stands for.
SIDED_FIELDS = {"notes": NOTE_FIELDS, "materials": MATERIAL_FIELDS}
SIDES = ("wanted", "excluded")
_DOCUMENTATION_KEYS = frozenset({"title", "description", "examples", "default"})
POLICY_FIELDS = frozenset({"ifra_safety_margin"})
"""Brief fields set by the deployment's settings, never read from the text."""


class Contradiction(NamedTuple):
    """An item a reply named both as wanted (or weighted) and as excluded."""

    wanted: str
    excluded: str
    item: str


def reply_schema(notes: Collection[str], material_ids: Collection[str]) -> str:
    """The schema as JSON text; a map with nothing to choose from is left out."""
    base = reply_format()
    vocabularies = {"notes": sorted(notes), "materials": sorted(material_ids)}
    properties: dict[str, Any] = {}
    for name, node in base["properties"].items():
        vocabulary = vocabularies.get(name)
        if name == "family_weights":
            # A map keyed by enum (propertyNames) is spelled out as one optional key each.
            properties[name] = {
                "type": "object",
                "properties": {
                    f.value: {"type": "number", "minimum": 0, "maximum": 1} for f in Family
                },
                "additionalProperties": False,
            }
        elif name == "excluded_families":
            properties[name] = {**node, "maxItems": len(Family)}
        elif vocabulary is None:
            properties[name] = node
        elif vocabulary:
            properties[name] = {
                "type": "object",
                "properties": {item: {"enum": list(SIDES)} for item in vocabulary},
                "additionalProperties": False,
            }
    schema = {
        **base,
        "properties": properties,
        "additionalProperties": False,
        "x-guidance": {"whitespace_flexible": False},
    }
    return json.dumps(schema)


@cache
def reply_format() -> dict[str, Any]:
    """The Brief's JSON schema in the reply's form: each (wanted, excluded) pair of lists
    becomes one map at the wanted list's place."""
    schema = _undocumented(Brief.model_json_schema())
    sided = {pair[0]: name for name, pair in SIDED_FIELDS.items()}
    dropped = {pair[1] for pair in SIDED_FIELDS.values()}
    properties: dict[str, Any] = {}
    for name, node in schema["properties"].items():
        if name in sided:
            properties[sided[name]] = {
                "type": "object",
                "additionalProperties": {"enum": list(SIDES)},
            }
        elif name not in dropped | POLICY_FIELDS:
            properties[name] = node
    return {**schema, "properties": properties}


def brief_fields(reply: Mapping[str, Any]) -> dict[str, Any]:
    """A parsed reply with its maps turned back into the Brief's lists.

    Raises ValueError for a map that is not one, a side other than wanted or excluded,
    or a Brief list written out instead of its map.
    """
    fields = dict(reply)
    for name, (wanted, excluded) in SIDED_FIELDS.items():
        for written in (wanted, excluded):
            if written in fields:
                raise ValueError(f"{written}: not a reply key; give {name} as {{item: side}}")
        sides = fields.pop(name, {})
        if not isinstance(sides, Mapping):
            raise ValueError(f"{name}: expected an object of item: wanted|excluded")
        wrong = sorted(str(item) for item, side in sides.items() if side not in SIDES)
        if wrong:
            raise ValueError(f"{name}: the side of {', '.join(wrong)} is not wanted|excluded")
        fields[wanted] = [item for item, side in sides.items() if side == "wanted"]
        fields[excluded] = [item for item, side in sides.items() if side == "excluded"]
    return fields


def _undocumented(node: Any) -> Any:
    """The schema without its prose, which would only lengthen grammar compilation."""
    if isinstance(node, list):
        return [_undocumented(item) for item in node]
    if not isinstance(node, dict):
        return node
    kept: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties":  # keys here are field names, never prose
            kept[key] = {name: _undocumented(field) for name, field in value.items()}
        elif key not in _DOCUMENTATION_KEYS:
            kept[key] = _undocumented(value)
    return kept


# Fields a reply may not name one item in both of (Brief's own checks); the notes and
# materials cannot be, being one map each.
_OPPOSED = (("family_weights", "excluded_families"),)
_MOST_VARIANTS = 8


_WEIGHTS_OPENING = '{"family_weights":'


def narrowed_by_weights(schema: str, written: str) -> str | None:
    """The schema for the rest of a reply once its family weights are written: excluded
    families can no longer name a family it weighted. None while the weights are still
    being written; the schema unchanged for a reply that does not open with them.

    A family both weighted and excluded was, once notes were one map, the only check
    constrained first replies still failed (28 of 62 on the labelled set).
    """
    if not written.startswith(_WEIGHTS_OPENING):
        return None if _WEIGHTS_OPENING.startswith(written) else schema
    end = written.find("}", len(_WEIGHTS_OPENING))
    if end == -1:
        return None
    try:
        weights = json.loads(written[len(_WEIGHTS_OPENING) : end + 1])
    except ValueError:
        return schema
    found = [
        Contradiction("family_weights", "excluded_families", family)
        for family in sorted(_named({"family_weights": weights}, "family_weights"))
    ]
    if not found:
        return schema
    base = json.loads(schema)
    guidance, definitions = base.pop("x-guidance"), base.pop("$defs")
    removals = [(c.excluded, c.item) for c in found]
    if "anyOf" in base:  # a repair's schema: every variant narrowed alike
        variants = [_without(v, definitions, removals) for v in base["anyOf"]]
        narrowed = {"anyOf": variants}
    else:
        narrowed = _without(base, definitions, removals)
    return json.dumps({**narrowed, "$defs": definitions, "x-guidance": guidance})


def contradictions(reply: Mapping[str, Any]) -> list[Contradiction]:
    """Each item a (parsed, rejected) reply named on both sides of an opposed pair."""
    return [
        Contradiction(wanted, excluded, item)
        for wanted, excluded in _OPPOSED
        for item in sorted(_named(reply, wanted) & _named(reply, excluded))
    ]


def without_contradictions(schema: str, found: Sequence[Contradiction]) -> str:
    """The schema again, with each contradicted item allowed on one side at most.

    One variant per choice of sides (anyOf), so the model still decides which side an
    item belongs on; past a few contradictions, the items are allowed on neither side.
    """
    base = json.loads(schema)
    guidance, definitions = base.pop("x-guidance"), base.pop("$defs")
    if 2 ** len(found) > _MOST_VARIANTS:
        neither = [(field, c.item) for c in found for field in (c.wanted, c.excluded)]
        variants = [_without(base, definitions, neither)]
    else:
        variants = [
            _without(
                base,
                definitions,
                [
                    (c.excluded if kept else c.wanted, c.item)
                    for c, kept in zip(found, sides, strict=True)
                ],
            )
            for sides in itertools.product((True, False), repeat=len(found))
        ]
    return json.dumps({"anyOf": variants, "$defs": definitions, "x-guidance": guidance})


def _named(reply: Mapping[str, Any], field: str) -> set[str]:
    value = reply.get(field)
    if isinstance(value, Mapping):  # family weights: a family counts when it is wanted
        return {str(k) for k in wanted_families(value)}
    if isinstance(value, list):
        return {item for item in value if isinstance(item, str)}
    return set()


def _without(
    schema: dict[str, Any], definitions: dict[str, Any], removals: Sequence[tuple[str, str]]
) -> dict[str, Any]:
    narrowed = copy.deepcopy(schema)
    properties = narrowed["properties"]
    for field, item in removals:
        node = properties.get(field)
        if node is None:
            continue
        if node.get("type") == "object":  # family_weights: one key per family
            node["properties"].pop(item, None)
            continue
        items = node["items"]
        choices = (
            definitions[items["$ref"].rsplit("/", 1)[-1]]["enum"]
            if "$ref" in items
            else items["enum"]
        )
        remaining = [choice for choice in choices if choice != item]
        if remaining:
            node["items"], node["maxItems"] = {"enum": remaining}, len(remaining)
        else:
            del properties[field]
    return narrowed


# Reading a reply back.
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
