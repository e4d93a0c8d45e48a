"""The JSON schema a model's reply is held to while it is generated.

Derived from the Brief's own JSON schema, then narrowed to what a reply about one brief
may say: notes and material ids from the lists the prompt gave, family weights keyed by
family, no other keys, compact JSON. A reply that fits it can still fail the Brief's
cross-field checks (say, no family above zero); those are validated afterwards.
"""

import json
from collections.abc import Collection
from functools import cache
from typing import Any

from schemas.brief import Brief
from schemas.material import Family

NOTE_FIELDS = ("wanted_notes", "excluded_notes")
MATERIAL_FIELDS = ("wanted_materials", "excluded_materials")
_DOCUMENTATION_KEYS = frozenset({"title", "description", "examples", "default"})


def reply_schema(notes: Collection[str], material_ids: Collection[str]) -> str:
    """The schema as JSON text; a list field with nothing to choose from is left out."""
    base = _brief_schema()
    properties: dict[str, Any] = {}
    for name, node in base["properties"].items():
        vocabulary = _vocabulary(name, notes, material_ids)
        if vocabulary is None:
            properties[name] = node
        elif vocabulary:
            properties[name] = {
                "type": "array",
                "items": {"enum": vocabulary},
                "maxItems": len(vocabulary),
            }
    schema = {
        **base,
        "properties": properties,
        "additionalProperties": False,
        "x-guidance": {"whitespace_flexible": False},
    }
    return json.dumps(schema)


def _vocabulary(
    field: str, notes: Collection[str], material_ids: Collection[str]
) -> list[str] | None:
    if field in NOTE_FIELDS:
        return sorted(notes)
    if field in MATERIAL_FIELDS:
        return sorted(material_ids)
    return None


@cache
def _brief_schema() -> dict[str, Any]:
    schema = _undocumented(Brief.model_json_schema())
    properties = schema["properties"]
    # A map keyed by enum (propertyNames) is spelled out as one optional key per family.
    properties["family_weights"] = {
        "type": "object",
        "properties": {f.value: {"type": "number", "minimum": 0, "maximum": 1} for f in Family},
        "additionalProperties": False,
    }
    properties["excluded_families"]["maxItems"] = len(Family)
    return schema


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
