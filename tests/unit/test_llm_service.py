"""The ensemble service end to end over fixed replies at the generator boundary."""

import json
from collections.abc import Callable, Sequence

import pytest

from fragrance_ai.interpreter.errors import BriefTooLongError, VagueBriefError
from fragrance_ai.llm import (
    LLMEnsemble,
    parse_ensemble_config,
)
from fragrance_ai.llm.generation import BatchingGenerator, Generation
from fragrance_ai.llm.prompt import Prompt
from fragrance_ai.llm.service import Member
from schemas.brief import Brief, Interpretation, Season

MATERIALS = ("bergamot_oil_fcf", "vetiver_oil")
NOTES = ("fresh", "smoky", "bergamot")


class _WordTokenizer:
    def __call__(self, text: str, add_special_tokens: bool = False) -> dict[str, list[int]]:
        return {"input_ids": list(range(len(text.split())))}


class FixedReplies:
    """Answers the brief prompt with `first`, and a repair prompt with `repair`."""

    def __init__(self, first: str, repair: str = "still not JSON") -> None:
        self.first, self.repair = first, repair
        self.prompts: list[Prompt] = []

    def __call__(self, prompts: Sequence[Prompt]) -> list[Generation]:
        self.prompts.extend(prompts)
        return [
            Generation(
                text=self.repair if "rejected" in p.messages[-1]["content"] else self.first,
                tokens=7,
            )
            for p in prompts
        ]


def _ensemble(
    replies: dict[str, FixedReplies],
    rule_brief: Brief | None,
    evidence: dict[str, dict[str, dict[str, float]]] | None = None,
    read_by_rules: Callable[[str], Interpretation] | None = None,
) -> LLMEnsemble:
    models = {
        name: {"source_type": "path", "source": "/m", "evidence": (evidence or {}).get(name, {})}
        for name in replies
    }
    config = parse_ensemble_config({"models": models, "max_input_tokens": 20})
    members = {
        name: Member(
            spec=next(m for m in config.models if m.name == name),
            batcher=BatchingGenerator(generate, window_s=0.0, max_batch_size=4, timeout_s=5),
            tokenizer=_WordTokenizer(),
        )
        for name, generate in replies.items()
    }

    def rule_based(text: str) -> Interpretation:
        if rule_brief is None:
            raise VagueBriefError("names no family or note")
        return Interpretation(brief=rule_brief)

    return LLMEnsemble(config, members, read_by_rules or rule_based, MATERIALS, NOTES)


def _json(**fields: object) -> str:
    return json.dumps({"family_weights": {"woody": 1}, **fields})


async def test_models_measured_right_on_a_field_overrule_the_rules_and_every_attempt_is_recorded() -> (
    None
):
    replies = {
        "qwen": FixedReplies(_json(season="autumn", notes={"smoky": "wanted"})),
        "llama": FixedReplies("I think autumn", repair=_json(season="autumn")),
        "mistral": FixedReplies("no idea"),
    }
    trusted_on_season = {"season": {"confirms": 2.0, "adds": 1.0, "omits": -1.0}}
    ensemble = _ensemble(
        replies,
        Brief(family_weights={"woody": 1}, season=Season.WINTER),
        evidence={"qwen": trusted_on_season, "llama": trusted_on_season},
    )
    result = await ensemble.interpret("smoky\u200b vetiver for autumn")
    await ensemble.aclose()
    assert result.brief.season is Season.AUTUMN
    assert result.fields["season"].decided_by == ("qwen", "llama")
    by_model = {o.model: o for o in result.outcomes}
    assert by_model["qwen"].valid and by_model["qwen"].repair_output is None
    assert by_model["llama"].valid and by_model["llama"].raw_output == "I think autumn"
    assert by_model["llama"].tokens_generated == 14
    assert not by_model["mistral"].valid
    assert by_model["mistral"].repair_output == "still not JSON"
    assert by_model["mistral"].error == "the reply contains no JSON object"
    assert (
        replies["qwen"]
        .prompts[0]
        .messages[-1]["content"]
        .startswith("Brief: smoky vetiver for autumn\n")
    )


async def test_only_one_repair_is_attempted() -> None:
    replies = {"qwen": FixedReplies("nope")}
    ensemble = _ensemble(replies, Brief(family_weights={"woody": 1}))
    result = await ensemble.interpret("woody")
    await ensemble.aclose()
    assert len(replies["qwen"].prompts) == 2
    assert result.fallback_used and result.brief == Brief(family_weights={"woody": 1})


async def test_an_over_long_brief_never_reaches_a_model() -> None:
    replies = {"qwen": FixedReplies(_json())}
    ensemble = _ensemble(replies, None)
    with pytest.raises(BriefTooLongError, match="limit is 20 tokens"):
        await ensemble.interpret("woody " * 21)
    await ensemble.aclose()
    assert replies["qwen"].prompts == []


async def test_a_model_without_calibration_has_no_say() -> None:
    replies = {"qwen": FixedReplies(_json(season="summer", notes={"smoky": "wanted"}))}
    rule_brief = Brief(family_weights={"woody": 1}, season=Season.WINTER)
    result = await _ensemble(replies, rule_brief).interpret("woody for winter")
    assert result.brief == rule_brief
    assert not result.fallback_used
    assert result.fields["season"].decided_by == ("rule_based",)
    assert result.fields["season"].confidence is None


async def test_text_the_rules_refuse_is_refused_before_any_model_is_asked() -> None:
    replies = {"qwen": FixedReplies(_json(season="summer"))}
    ensemble = _ensemble(replies, None)
    with pytest.raises(VagueBriefError, match=r"names no family or note"):
        await ensemble.interpret("xyzzy plugh frobnicate")
    await ensemble.aclose()
    assert replies["qwen"].prompts == []
