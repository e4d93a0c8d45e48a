"""The development profile end to end: the real SmolLM2 interprets a brief through the ensemble."""

import pytest
from prometheus_client import REGISTRY

from fragrance_ai.config_loader import load_llm_config, load_settings
from fragrance_ai.interpreter import interpret
from fragrance_ai.llm import combine_outcomes, parse_ensemble_config
from fragrance_ai.llm.service import load_ensemble
from schemas.brief import Brief

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]

BRIEF = "A fresh citrus summer eau de toilette for women with bergamot, no musk, under $50/kg."


async def test_smollm2_interprets_a_brief_and_the_ensemble_always_returns_one() -> None:
    config = parse_ensemble_config(load_llm_config(load_settings("development")))
    ensemble = load_ensemble(config)
    tokens_before = _tokens_generated()
    try:
        result = await ensemble.interpret(BRIEF)
    finally:
        await ensemble.aclose()

    (outcome,) = result.outcomes
    assert outcome.model == "smollm2"
    assert outcome.raw_output.strip(), "the model's raw reply is recorded"
    assert outcome.tokens_generated > 0 and outcome.latency_s > 0
    assert outcome.valid == (outcome.brief is not None)
    assert outcome.valid == (outcome.error is None)
    assert outcome.valid != result.fallback_used
    if not outcome.valid:
        assert outcome.repair_output is not None, "one repair is attempted before giving up"
        alone = combine_outcomes(config, (), interpret(BRIEF))
        assert result.brief == alone.brief
    assert isinstance(result.brief, Brief)
    assert set(result.fields) == set(Brief.model_fields)
    assert _tokens_generated() > tokens_before


def _tokens_generated() -> float:
    value = REGISTRY.get_sample_value("llm_tokens_generated_total", {"model": "smollm2"})
    return value or 0.0
