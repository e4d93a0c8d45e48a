"""One model's attempt at a brief: ask, validate, at most one repair, then give up."""

import time
from collections.abc import Awaitable, Callable, Collection

from fragrance_ai.llm.errors import ModelUnavailableError
from fragrance_ai.llm.generation import Generation
from fragrance_ai.llm.parsing import parse_reply
from fragrance_ai.llm.prompt import Prompt, brief_prompt, repair_prompt
from fragrance_ai.llm.results import ModelOutcome

Ask = Callable[[Prompt], Awaitable[Generation]]


async def attempt_brief(
    model: str,
    ask: Ask,
    text: str,
    material_ids: Collection[str],
    note_words: Collection[str],
    repair_attempts: int = 1,
) -> ModelOutcome:
    """Never raises for a bad reply, a timeout or an unavailable server: the outcome
    records it as invalid."""
    started = time.perf_counter()
    prompt = brief_prompt(text, material_ids, note_words)
    try:
        first = await ask(prompt)
    except TimeoutError:
        return _failed(model, "", started, 0, "generation timed out")
    except ModelUnavailableError as error:
        return _failed(model, "", started, 0, str(error))
    parsed = parse_reply(first.text, material_ids, note_words)
    repair_text: str | None = None
    tokens = first.tokens
    if parsed.brief is None and repair_attempts > 0:
        try:
            repair = await ask(repair_prompt(prompt, first.text, parsed.error or ""))
        except TimeoutError:
            return _failed(model, first.text, started, tokens, "repair generation timed out")
        except ModelUnavailableError as error:
            return _failed(model, first.text, started, tokens, str(error))
        repair_text, tokens = repair.text, tokens + repair.tokens
        parsed = parse_reply(repair.text, material_ids, note_words)
    return ModelOutcome(
        model=model,
        raw_output=first.text,
        repair_output=repair_text,
        latency_s=time.perf_counter() - started,
        tokens_generated=tokens,
        valid=parsed.brief is not None,
        error=parsed.error,
        brief=parsed.brief,
    )


def _failed(model: str, raw: str, started: float, tokens: int, error: str) -> ModelOutcome:
    return ModelOutcome(
        model=model,
        raw_output=raw,
        latency_s=time.perf_counter() - started,
        tokens_generated=tokens,
        valid=False,
        error=error,
    )
