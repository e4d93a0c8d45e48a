"""The LLM worker's stage on text that is not a brief: a failed job with the reason,
whichever reader is configured, and no model asked."""

import uuid
from typing import Any

import pytest

from fragrance_ai.jobs.retry import RetryPolicy
from fragrance_ai.llm.service import read_by_rules
from fragrance_ai.workers.interpreting import (
    BriefReader,
    EnsembleReader,
    InterpretingStage,
    RuleBasedReader,
)
from schemas.brief import Interpretation
from schemas.messages import BriefInterpreted, InterpretBrief, JobFailed
from tests.unit.test_llm_service import FixedReplies, _ensemble, _json

NOT_BRIEFS = [
    ("xyzzy plugh frobnicate", "names no family or note"),
    ("please write me a poem about the sea", "asks for a poem, not a scent"),
    ("fresh citrus, no citrus", "both wants and excludes the citrus family"),
]


def _readers(model: FixedReplies) -> dict[str, BriefReader]:
    ensemble = _ensemble({"qwen": model}, None, read_by_rules=read_by_rules)
    return {"rules": RuleBasedReader(), "ensemble": EnsembleReader(ensemble)}


@pytest.mark.parametrize("reader", ["rules", "ensemble"])
@pytest.mark.parametrize(("text", "reason"), NOT_BRIEFS)
async def test_text_that_is_not_a_brief_fails_the_job_with_the_reason(
    reader: str, text: str, reason: str
) -> None:
    model = FixedReplies(_json(season="summer", notes={"fresh": "wanted"}))
    stage = InterpretingStage(_readers(model)[reader], RetryPolicy(max_attempts=1))
    event = await stage.run(InterpretBrief(job_id=uuid.uuid4(), text=text))
    assert isinstance(event, JobFailed)
    assert event.stage == "interpreting"
    assert reason in event.reason
    assert model.prompts == []


async def test_a_brief_read_by_the_ensemble_passes() -> None:
    model = FixedReplies(_json(season="summer"))
    stage = InterpretingStage(_readers(model)["ensemble"], RetryPolicy(max_attempts=1))
    event = await stage.run(InterpretBrief(job_id=uuid.uuid4(), text="smoky vetiver"))
    assert isinstance(event, BriefInterpreted)
    assert event.details["source"] == "ensemble"
    assert len(model.prompts) == 1


async def test_the_ensemble_reads_a_brief_by_the_rules_once_and_keeps_their_words() -> None:
    readings: list[str] = []

    def counted(text: str) -> Interpretation:
        readings.append(text)
        return read_by_rules(text)

    ensemble = _ensemble(
        {"qwen": FixedReplies(_json(season="summer"))}, None, read_by_rules=counted
    )
    interpretation, _ = await EnsembleReader(ensemble).read("smoky vetiver for winter")
    assert readings == ["smoky vetiver for winter"]
    assert "vetiver" in interpretation.evidence["wanted_notes"]


@pytest.mark.parametrize("margin", [0.8, 1.0])
async def test_every_brief_read_carries_the_configured_ifra_margin(margin: float) -> None:
    stage = InterpretingStage(
        RuleBasedReader(), RetryPolicy(max_attempts=1), ifra_safety_margin=margin
    )
    event = await stage.run(InterpretBrief(job_id=uuid.uuid4(), text="a rose soap"))
    assert isinstance(event, BriefInterpreted)
    assert event.interpretation.brief.ifra_safety_margin == margin
    assert event.interpretation.brief.product.value == "bar_soap"


class BrokenReader:
    """A reader whose model server keeps failing, with internals in its error."""

    async def read(self, text: str) -> tuple[Interpretation, dict[str, Any]]:
        raise ConnectionError("vllm at 10.0.3.7:8001 refused: /srv/models/qwen missing")


async def test_a_reader_that_keeps_failing_tells_the_user_little_and_operators_why() -> None:
    stage = InterpretingStage(BrokenReader(), RetryPolicy(max_attempts=2, backoff_s=0.0))
    event = await stage.run(InterpretBrief(job_id=uuid.uuid4(), text="smoky vetiver"))
    assert isinstance(event, JobFailed)
    assert event.reason == "gave up after 2 attempt(s) on an internal error; try again later"
    assert "10.0.3.7" in event.detail and "/srv/models" in event.detail
