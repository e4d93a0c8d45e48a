"""The ensemble as a service: clean the brief, ask every model at once, combine."""

import asyncio
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from fragrance_ai.llm.attempt import attempt_brief
from fragrance_ai.llm.batching import BatchingGenerator
from fragrance_ai.llm.config import EnsembleConfig, ModelSpec
from fragrance_ai.llm.ensemble import combine_votes
from fragrance_ai.llm.errors import NoInterpretationError
from fragrance_ai.llm.results import RULE_BASED, EnsembleResult, FieldDecision, ModelOutcome, Vote
from fragrance_ai.llm.sanitize import clean_brief_text, enforce_token_budget
from schemas.brief import Brief

RuleBased = Callable[[str], Brief]


@dataclass(frozen=True)
class Member:
    """An enabled model as the service uses it."""

    spec: ModelSpec
    batcher: BatchingGenerator
    tokenizer: object


class LLMEnsemble:
    """Interprets brief text with every enabled model and the rule-based interpreter."""

    def __init__(
        self,
        config: EnsembleConfig,
        members: Mapping[str, Member],
        rule_based: RuleBased,
        material_ids: Collection[str],
        note_words: Collection[str],
    ) -> None:
        self.config = config
        self.members = dict(members)
        self._rule_based = rule_based
        self._material_ids = frozenset(material_ids)
        self._note_words = frozenset(note_words)

    def prepare(self, text: str) -> str:
        """Clean untrusted text and check it against every member's token budget."""
        cleaned = clean_brief_text(text)
        for member in self.members.values():
            enforce_token_budget(cleaned, member.tokenizer, self.config.max_input_tokens)
        return cleaned

    async def interpret(self, text: str) -> EnsembleResult:
        """Raises UntrustedInputError for unusable text, NoInterpretationError when no
        source at all produced a brief; a model's failure is recorded, never raised."""
        cleaned = self.prepare(text)
        outcomes = await asyncio.gather(
            *(
                attempt_brief(
                    name,
                    member.batcher.generate,
                    cleaned,
                    self._material_ids,
                    self._note_words,
                    self.config.repair_attempts,
                )
                for name, member in self.members.items()
            )
        )
        rule_brief, rule_error = await asyncio.to_thread(self._rule_based_or_error, cleaned)
        return combine_outcomes(self.config, tuple(outcomes), rule_brief, rule_error)

    def _rule_based_or_error(self, text: str) -> tuple[Brief | None, str | None]:
        try:
            return self._rule_based(text), None
        except ValueError as error:  # BriefError and pydantic errors are ValueErrors
            return None, str(error)

    async def aclose(self) -> None:
        for member in self.members.values():
            await member.batcher.aclose()


def combine_outcomes(
    config: EnsembleConfig,
    outcomes: tuple[ModelOutcome, ...],
    rule_brief: Brief | None,
    rule_error: str | None,
) -> EnsembleResult:
    """Valid model briefs and the rule-based brief vote; with no valid model brief the
    rule-based brief is the whole answer."""
    weights = {spec.name: spec.weight for spec in config.models}
    votes = [
        Vote(source=o.model, weight=weights[o.model], brief=o.brief) for o in outcomes if o.brief
    ]
    fallback = not votes
    if rule_brief is not None and (fallback or config.rule_based_weight > 0):
        votes.append(
            Vote(source=RULE_BASED, weight=config.rule_based_weight or 1.0, brief=rule_brief)
        )
    if not votes:
        reasons = [f"{o.model}: {o.error}" for o in outcomes] + [f"{RULE_BASED}: {rule_error}"]
        raise NoInterpretationError("no source produced a valid brief (" + "; ".join(reasons) + ")")
    if fallback:
        brief = votes[0].brief
        fields = {
            f: FieldDecision(confidence=1.0, decided_by=(RULE_BASED,)) for f in Brief.model_fields
        }
    else:
        brief, fields = combine_votes(votes, config.agreement_threshold, config.family_floor)
    return EnsembleResult(
        brief=brief,
        outcomes=outcomes,
        rule_based_error=rule_error,
        fields=fields,
        fallback_used=fallback,
    )
