"""Untrusted text, model replies as data, and the cache key."""

import json
from pathlib import Path

import pytest

from fragrance_ai.catalog import DESCRIPTOR_FAMILY, load_catalog
from fragrance_ai.interpreter.errors import BriefTooLongError, EmptyBriefError
from fragrance_ai.llm import (
    cache_key,
    normalise_for_cache,
    parse_ensemble_config,
)
from fragrance_ai.llm.prompt import (
    _EXAMPLES,
    brief_prompt,
    brief_turn,
    clean_brief_text,
    compact_brief_schema,
    enforce_token_budget,
    mentioned,
    shared_messages,
)
from fragrance_ai.llm.reply import brief_fields, parse_reply
from fragrance_ai.llm.reply_constraints import _BraceState
from schemas.brief import Brief


def load_catalog_ids() -> list[str]:
    return [material.id for material in load_catalog()]


class _WordTokenizer:
    def __call__(self, text: str, add_special_tokens: bool = False) -> dict[str, list[int]]:
        return {"input_ids": list(range(len(text.split())))}


def test_invisible_and_control_characters_are_removed() -> None:
    text = "fresh\u200b citrus\u202e for\x00 summer\u2028and\tsea\ufeff"
    assert clean_brief_text(text) == "fresh citrus for summer and sea"


def test_a_brief_of_only_invisible_characters_is_refused() -> None:
    with pytest.raises(EmptyBriefError, match="empty"):
        clean_brief_text("\u200b\u200d\x07 \n")


def test_an_over_long_brief_is_refused_before_inference() -> None:
    with pytest.raises(BriefTooLongError, match="12 tokens long; the limit is 10"):
        enforce_token_budget("word " * 12, _WordTokenizer(), max_tokens=10)
    assert enforce_token_budget("word " * 10, _WordTokenizer(), max_tokens=10) == 10


def test_a_huge_brief_is_refused_without_tokenising_it() -> None:
    with pytest.raises(BriefTooLongError, match="characters long"):
        enforce_token_budget("x" * 100_000, _WordTokenizer(), max_tokens=10)


def test_a_reply_is_read_from_its_first_json_object() -> None:
    parsed = parse_reply('Sure! {"family_weights": {"citrus": 1}, "season": "summer"} Enjoy {}')
    assert parsed.brief is not None and parsed.brief.season == "summer"


def test_a_cut_off_reply_is_invalid_rather_than_its_nested_object_taken() -> None:
    parsed = parse_reply('{"season": "summer", "family_weights": {"citrus": 1}, "notes": {"ber')
    assert parsed.brief is None
    assert parsed.error is not None and "cut off" in parsed.error


def test_a_reply_that_fails_validation_says_which_field() -> None:
    parsed = parse_reply('{"family_weights": {"citrus": 1}, "season": "monsoon"}')
    assert parsed.brief is None and parsed.error is not None and parsed.error.startswith("season:")


def test_unknown_catalog_words_make_a_reply_invalid() -> None:
    reply = '{"family_weights": {"citrus": 1}, "notes": {"fresh": "wanted"}, "materials": {"unicorn_oil": "excluded"}}'
    parsed = parse_reply(reply, material_ids={"hedione"}, note_words={"fresh"})
    assert parsed.error == "excluded_materials: unknown material id(s) unicorn_oil"


def test_notes_and_materials_come_as_maps_to_a_side_and_become_the_brief_lists() -> None:
    reply = (
        '{"family_weights": {"woody": 1}, "notes": {"fig": "wanted", "vanilla": "excluded"},'
        ' "materials": {"hedione": "wanted"}}'
    )
    parsed = parse_reply(reply, material_ids={"hedione"}, note_words={"fig", "vanilla"})
    assert parsed.brief is not None
    assert parsed.brief.wanted_notes == ("fig",) and parsed.brief.excluded_notes == ("vanilla",)
    assert parsed.brief.wanted_materials == ("hedione",) and parsed.brief.excluded_materials == ()


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ('{"family_weights": {"woody": 1}, "notes": ["fig"]}', "notes: expected an object"),
        ('{"family_weights": {"woody": 1}, "notes": {"fig": "maybe"}}', "notes: the side of fig"),
        ('{"family_weights": {"woody": 1}, "wanted_notes": ["fig"]}', "wanted_notes: not a reply"),
    ],
)
def test_a_map_out_of_form_is_rejected_with_what_was_wrong(reply: str, error: str) -> None:
    parsed = parse_reply(reply)
    assert parsed.brief is None and parsed.error is not None and parsed.error.startswith(error)


def test_instructions_in_a_reply_are_only_data() -> None:
    parsed = parse_reply('{"family_weights": {"citrus": 1}, "__import__": "os.system(\'rm\')"}')
    assert parsed.brief is not None and "__import__" not in parsed.brief.model_dump()


def test_the_prompt_carries_the_schema_examples_and_the_brief_last() -> None:
    messages = brief_prompt("smoky vetiver", ["vetiver_oil"], ["smoky"]).messages
    schema = compact_brief_schema()
    assert "\nseason: spring|summer|autumn|winter|null\n" in schema
    assert schema.endswith(
        "\nwhere family is one of citrus|aromatic|green|floral|fruity|spicy|"
        "woody|amber|musk|gourmand|leather|aquatic|powdery|aldehydic"
    )
    assert schema.count("powdery|aldehydic") == 1, "the family enum is spelled out once"
    assert messages[0]["role"] == "system" and schema in messages[0]["content"]
    assert [m["role"] for m in messages[1:]] == ["user", "assistant"] * 3 + ["user"]
    assert messages[-1]["content"] == (
        "Brief: smoky vetiver\nNotes: smoky\nMaterial ids: vetiver_oil"
    )


def test_every_brief_shares_the_prompt_up_to_its_own_turn() -> None:
    catalog = load_catalog_ids()
    first = brief_prompt("smoky vetiver", catalog, DESCRIPTOR_FAMILY).messages
    second = brief_prompt("a rose for spring, no musk", catalog, DESCRIPTOR_FAMILY).messages
    assert first[:-1] == second[:-1] == shared_messages()
    assert first[-1] != second[-1]


def test_the_worked_examples_are_written_as_a_real_brief_turn_and_answer_validly() -> None:
    catalog = load_catalog_ids()
    for turn, answer in _EXAMPLES:
        text = turn.splitlines()[0].removeprefix("Brief: ")
        notes, materials = mentioned(text, DESCRIPTOR_FAMILY), mentioned(text, catalog)
        assert turn == brief_turn(text, notes, materials)
        brief = Brief.model_validate(brief_fields(answer))
        assert set(brief.wanted_notes) | set(brief.excluded_notes) <= set(notes)
        assert set(brief.wanted_materials) <= set(materials)


def test_no_worked_example_is_a_brief_of_the_labelled_evaluation_set() -> None:
    labelled = Path(__file__).parents[1] / "data" / "llm_eval_briefs.jsonl"
    evaluated = {
        normalise_for_cache(json.loads(line)["text"])
        for line in labelled.read_text().splitlines()
        if line.strip()
    }
    for turn, _ in _EXAMPLES:
        text = turn.splitlines()[0].removeprefix("Brief: ")
        assert normalise_for_cache(text) not in evaluated


def test_short_notes_are_found_whole_and_long_words_find_material_ids() -> None:
    text = "A green fig and tea cologne with vetiver, woody base"
    assert mentioned(text, ["fig", "tea", "oud", "vetiver"]) == ["fig", "tea", "vetiver"]
    assert mentioned(text, ["vetiver_oil", "fig_leaf_absolute", "oud_base"]) == ["vetiver_oil"]


def test_generation_stops_when_the_first_object_closes_not_on_braces_in_strings() -> None:
    state = _BraceState()
    fed = [state.feed(t) for t in ['Here: {"a": "x}\\"', '", "b": {"c": 1}', "}", " junk"]]
    assert fed == [False, False, True, False]


def test_cache_key_ignores_case_and_spacing_but_not_models_or_parameters() -> None:
    config = parse_ensemble_config({"models": {"a": {"source_type": "path", "source": "/m"}}})
    other = parse_ensemble_config({"models": {"b": {"source_type": "path", "source": "/m"}}})
    key = cache_key("Fresh  Citrus", config)
    assert key == cache_key("fresh citrus ", config)
    assert key != cache_key("fresh citrus", other)
    assert key != cache_key("fresh citrus", config, {"temperature": 0.7})
    assert len(key) == 64


def test_the_prompt_lists_only_the_notes_and_materials_the_brief_mentions() -> None:
    catalog = ["coumarin", "vetiver_oil", "bergamot_oil_fcf", "iso_e_super", "oud_base"]
    turn = brief_prompt("Smoky vetiver with coumarin, woody base", catalog, ["smoky", "rose"])
    assert turn.messages[-1]["content"].splitlines()[1:] == [
        "Notes: smoky",
        "Material ids: coumarin, vetiver_oil",
    ]
    nothing = brief_prompt("a fresh scent", catalog, ["rose"]).messages[-1]["content"]
    assert "none (leave note keys out)" in nothing and "bergamot_oil_fcf" not in nothing
